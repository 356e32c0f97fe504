import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNagClean, testApp } from './helpers.js';

describe('IngestionStack', () => {
  let built: ReturnType<typeof testApp>;
  let template: Template;
  beforeAll(() => {
    built = testApp({ streamShardCount: 3, streamRetentionHours: 48 });
    template = Template.fromStack(built.ingestion);
  });

  it('passes cdk-nag AwsSolutions with no unsuppressed findings', () => {
    expectNagClean(built.ingestion);
  });

  it('encrypts the event stream and sizes it from the configuration', () => {
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      ShardCount: 3,
      RetentionPeriodHours: 48,
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    });
  });

  it('maps the stream to the processor with partial failures, bisect, bounded retries and an S3 destination', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 1000,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: {
        OnFailure: {
          Destination: Match.objectLike({ 'Fn::ImportValue': Match.stringLikeRegexp('FailedBatchBucket') }),
        },
      },
    });
  });

  it('lets the processor write only raw/ and quarantine/ of the lakehouse, and read nothing there', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as {
      Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } };
    }[];
    const statements = policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    const lakehouseStatements = statements.filter((statement) =>
      JSON.stringify(statement.Resource).includes('LakehouseBucket'),
    );
    expect(lakehouseStatements.length).toBeGreaterThan(0);
    for (const statement of lakehouseStatements) {
      const actions = [statement.Action].flat();
      expect(
        actions.every((action) =>
          /^s3:(PutObject|PutObjectLegalHold|PutObjectRetention|PutObjectTagging|PutObjectVersionTagging|Abort\*|DeleteObject\*)$/.test(
            action,
          ),
        ),
        actions.join(),
      ).toBe(true);
      expect(JSON.stringify(statement.Resource)).toMatch(/\/(raw|quarantine)\/\*/);
    }
  });

  it('alarms on iterator age and on quarantine volume with the configured thresholds', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IteratorAge',
      Namespace: 'AWS/Lambda',
      Threshold: 300_000,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'RecordsQuarantined',
      Namespace: 'ChurnRadar',
      Threshold: 100,
    });
  });

  it('tells the processor where its resources are', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          FEATURE_TABLE: Match.anyValue(),
          OPERATIONS_TABLE: Match.anyValue(),
          LAKEHOUSE_BUCKET: Match.anyValue(),
          ALLOWED_LATENESS_HOURS: '2160',
        }),
      },
    });
  });
});
