import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNagClean, testApp } from './helpers.js';

describe('DataStack', () => {
  let template: Template;
  let built: ReturnType<typeof testApp>;
  beforeAll(() => {
    built = testApp();
    template = Template.fromStack(built.data);
  });

  it('passes cdk-nag AwsSolutions with no unsuppressed findings', () => {
    expectNagClean(built.data);
  });

  it('makes both tables on-demand, encrypted with the customer key, with PITR and TTL', () => {
    const tables = template.findResources('AWS::DynamoDB::Table');
    expect(Object.keys(tables)).toHaveLength(2);
    template.allResourcesProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
    });
  });

  it('rotates the data key', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('blocks public access, versions and encrypts every bucket, and logs access', () => {
    const buckets = template.findResources('AWS::S3::Bucket');
    expect(Object.keys(buckets)).toHaveLength(5);
    template.allResourcesProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    const kmsBuckets = template.findResources('AWS::S3::Bucket', {
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            Match.objectLike({
              ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }),
            }),
          ],
        },
        LoggingConfiguration: Match.objectLike({ DestinationBucketName: Match.anyValue() }),
      },
    });
    expect(Object.keys(kmsBuckets)).toHaveLength(4);
  });

  it('denies every request to every bucket that is not over TLS', () => {
    const policies = template.findResources('AWS::S3::BucketPolicy');
    expect(Object.keys(policies)).toHaveLength(5);
    template.allResourcesProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('expires quarantined records and old raw-event versions', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Prefix: 'raw/',
            ExpirationInDays: 730,
            NoncurrentVersionExpiration: { NoncurrentDays: 7 },
          }),
          Match.objectLike({ Prefix: 'quarantine/', ExpirationInDays: 90, Status: 'Enabled' }),
        ]),
      },
    });
  });

  it('retains data and protects the stack in protected stages only', () => {
    expect(built.data.terminationProtection).toBe(false);
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    const prod = testApp({ stage: 'prod' });
    expect(prod.data.terminationProtection).toBe(true);
    const prodTemplate = Template.fromStack(prod.data);
    prodTemplate.allResources('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    prodTemplate.allResourcesProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
    expect(prod.data.stackName).toBe('ChurnRadar-prod-Data');
  });
});

describe('LakehouseCatalog', () => {
  it('puts a partition-projected Parquet table over raw/ in a Glue database', () => {
    const template = Template.fromStack(testApp().data);
    template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'churn_radar_dev' } });
    template.hasResourceProperties('AWS::Glue::Table', {
      DatabaseName: 'churn_radar_dev',
      TableInput: Match.objectLike({
        Name: 'events',
        PartitionKeys: [
          { Name: 'dt', Type: 'string' },
          { Name: 'bucket', Type: 'string' },
        ],
        Parameters: Match.objectLike({
          'projection.enabled': 'true',
          'projection.bucket.range': '00,15',
          classification: 'parquet',
        }),
      }),
    });
  });
});
