import { Template } from 'aws-cdk-lib/assertions';
import { describe, it } from 'vitest';
import { expectNagClean, testApp } from './helpers.js';

describe('IngestionStack', () => {
  it('encrypts the event stream and sizes it from the configuration', () => {
    const built = testApp({ streamShardCount: 3, streamRetentionHours: 48 });
    const template = Template.fromStack(built.ingestion);
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      ShardCount: 3,
      RetentionPeriodHours: 48,
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    });
    expectNagClean(built.ingestion);
  });
});
