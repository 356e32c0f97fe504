import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { ServiceFunction } from '../../infra/constructs/service-function.js';

const entry = 'test/fixtures/functions/echo.ts';

describe('ServiceFunction', () => {
  it('applies the house defaults', () => {
    const stack = new Stack(new App(), 'Test');
    new ServiceFunction(stack, 'Echo', {
      entry,
      description: 'echo',
      serviceName: 'echo',
      logRetention: RetentionDays.ONE_MONTH,
      environment: { FEATURE_TABLE: 'features' },
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 1024,
      Timeout: 30,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON' }),
      Environment: {
        Variables: Match.objectLike({
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'echo',
          FEATURE_TABLE: 'features',
        }),
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('refuses a memory size Lambda does not offer, naming the construct', () => {
    const stack = new Stack(new App(), 'Test');
    expect(
      () =>
        new ServiceFunction(stack, 'Huge', {
          entry,
          description: 'x',
          serviceName: 'x',
          logRetention: RetentionDays.ONE_DAY,
          memorySize: 20_000,
        }),
    ).toThrow(/ServiceFunction Huge: memorySize must be 128-10240 MB/);
  });
});
