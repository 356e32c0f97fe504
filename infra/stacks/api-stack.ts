import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  CognitoUserPoolsAuthorizer,
  JsonSchemaType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RequestValidator,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import {
  AccountRecovery,
  CfnUserPoolGroup,
  FeaturePlan,
  Mfa,
  StandardThreatProtectionMode,
  StringAttribute,
  UserPool,
  type UserPoolClient,
} from 'aws-cdk-lib/aws-cognito';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { type ChurnRadarConfig, isProtectedStage } from '../config.js';
import { ServiceFunction } from '../constructs/service-function.js';
import { eventStream } from '../resources.js';

export interface ApiStackProps extends StackProps {
  readonly config: ChurnRadarConfig;
  readonly eventStream: IStream;
}

/** The Cognito groups the API knows (functions/shared/caller.ts reads them from the token). */
export const API_GROUPS = {
  admin: 'Everything, including erasure and event ingestion by integrations',
  analyst: 'Aggregates and any customer without personal fields',
  manager: 'Only the customers whose manager_id is theirs',
} as const;

/**
 * The authenticated API for the CRM, managers, analysts and integrations: a Cognito user pool
 * with the three groups and the `manager_id` attribute, and a REST API whose every method needs
 * a valid ID token. Request bodies are validated by API Gateway before a function runs.
 */
export class ApiStack extends Stack {
  public readonly userPool: UserPool;
  public readonly userPoolClient: UserPoolClient;
  public readonly api: RestApi;
  public readonly ingestFunction: ServiceFunction;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config } = props;
    const logRetention = config.logRetentionDays as RetentionDays;

    this.userPool = new UserPool(this, 'UserPool', {
      userPoolName: `churn-radar-${config.stage}`,
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      customAttributes: { manager_id: new StringAttribute({ minLen: 1, maxLen: 64, mutable: true }) },
      passwordPolicy: {
        minLength: 12,
        requireDigits: true,
        requireLowercase: true,
        requireUppercase: true,
        requireSymbols: true,
      },
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { sms: false, otp: true },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      // The Plus plan blocks compromised credentials and risky sign-ins (cdk-nag COG3/COG8).
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      removalPolicy: isProtectedStage(config) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    for (const [group, description] of Object.entries(API_GROUPS)) {
      new CfnUserPoolGroup(this, `Group-${group}`, {
        userPoolId: this.userPool.userPoolId,
        groupName: group,
        description,
      });
    }
    this.userPoolClient = this.userPool.addClient('ApiClient', {
      authFlows: { userSrp: true },
      generateSecret: false,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      preventUserExistenceErrors: true,
    });

    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: logRetention });
    this.api = new RestApi(this, 'Api', {
      restApiName: `churn-radar-${config.stage}`,
      description: 'churn-radar: scores, customers, feedback, events',
      cloudWatchRole: true,
      deployOptions: {
        stageName: config.stage,
        tracingEnabled: true,
        loggingLevel: MethodLoggingLevel.ERROR,
        metricsEnabled: true,
        throttlingRateLimit: 100,
        throttlingBurstLimit: 200,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
      },
    });
    const authorizer = new CognitoUserPoolsAuthorizer(this, 'Authorizer', {
      cognitoUserPools: [this.userPool],
    });
    const validator = new RequestValidator(this, 'BodyValidator', {
      restApi: this.api,
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    this.ingestFunction = new ServiceFunction(this, 'IngestEvents', {
      entry: 'functions/ingest-events/handler.ts',
      description: 'POST /v1/events: validates events and puts them on the stream',
      serviceName: 'ingest-events',
      logRetention,
      memorySize: 512,
      timeout: Duration.seconds(15),
      environment: { [eventStream.envVar]: props.eventStream.streamName },
    });
    props.eventStream.grantWrite(this.ingestFunction.function);

    const eventsModel = this.api.addModel('IngestEventsModel', {
      contentType: 'application/json',
      schema: {
        type: JsonSchemaType.OBJECT,
        required: ['events'],
        properties: {
          events: {
            type: JsonSchemaType.ARRAY,
            minItems: 1,
            maxItems: 500,
            items: { type: JsonSchemaType.OBJECT },
          },
        },
      },
    });
    const v1 = this.api.root.addResource('v1');
    v1.addResource('events').addMethod('POST', new LambdaIntegration(this.ingestFunction.function), {
      authorizer,
      authorizationType: AuthorizationType.COGNITO,
      requestValidator: validator,
      requestModels: { 'application/json': eventsModel },
    });

    NagSuppressions.addResourceSuppressions(
      this.api,
      [
        {
          id: 'AwsSolutions-APIG3',
          reason:
            'WAF is left to the deploying team (it costs per ACL and rule); throttling and Cognito guard the API.',
        },
        {
          id: 'AwsSolutions-IAM4',
          reason:
            'The account-level API Gateway role uses the AWS-managed push-to-CloudWatch policy, as AWS documents.',
          appliesTo: [
            'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs',
          ],
        },
      ],
      true,
    );
  }
}
