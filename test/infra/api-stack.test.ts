import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNagClean, testApp } from './helpers.js';

describe('ApiStack', () => {
  let built: ReturnType<typeof testApp>;
  let template: Template;
  beforeAll(() => {
    built = testApp();
    template = Template.fromStack(built.api);
  });

  it('passes cdk-nag AwsSolutions with no unsuppressed findings', () => {
    expectNagClean(built.api);
  });

  it('has a user pool with the manager_id attribute, MFA, no self sign-up, and the three groups', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
      Schema: Match.arrayWith([
        Match.objectLike({ Name: 'manager_id', AttributeDataType: 'String', Mutable: true }),
      ]),
    });
    const groups = Object.values(template.findResources('AWS::Cognito::UserPoolGroup')).map(
      (group) => (group as { Properties: { GroupName: string } }).Properties.GroupName,
    );
    expect(groups.sort()).toEqual(['admin', 'analyst', 'manager']);
  });

  it('guards every method with the Cognito authorizer', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')) as {
      Properties: { HttpMethod: string; AuthorizationType: string };
    }[];
    const guarded = methods.filter((method) => method.Properties.HttpMethod !== 'OPTIONS');
    expect(guarded.length).toBeGreaterThan(0);
    for (const method of guarded) expect(method.Properties.AuthorizationType).toBe('COGNITO_USER_POOLS');
  });

  it('validates POST /v1/events bodies before invoking the function', () => {
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestBody: true });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      RequestValidatorId: Match.anyValue(),
      RequestModels: { 'application/json': Match.anyValue() },
    });
  });

  it('throttles, traces and writes access logs on the stage', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'dev',
      TracingEnabled: true,
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
      MethodSettings: Match.arrayWith([
        Match.objectLike({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200, LoggingLevel: 'ERROR' }),
      ]),
    });
  });

  it('lets the ingest function write to the stream and nothing else of the stream', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['kinesis:PutRecord', 'kinesis:PutRecords']),
            Effect: 'Allow',
          }),
        ]),
      },
    });
  });
});
