import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IStream, Stream, StreamEncryption, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { ChurnRadarConfig } from '../config.js';
import { FeatureProcessor } from '../constructs/feature-processor.js';
import { eventStream } from '../resources.js';

export interface IngestionStackProps extends StackProps {
  readonly config: ChurnRadarConfig;
  readonly featureTable: ITable;
  readonly operationsTable: ITable;
  readonly lakehouseBucket: IBucket;
  readonly failedBatchBucket: IBucket;
}

/**
 * The path every customer event takes into churn-radar: the encrypted event stream and the
 * feature processor that turns it into lakehouse rows and online features.
 */
export class IngestionStack extends Stack {
  public readonly eventStream: IStream;
  public readonly processor: FeatureProcessor;

  constructor(scope: Construct, id: string, props: IngestionStackProps) {
    super(scope, id, props);
    this.eventStream = new Stream(this, eventStream.id, {
      streamMode: StreamMode.PROVISIONED,
      shardCount: props.config.streamShardCount,
      retentionPeriod: Duration.hours(props.config.streamRetentionHours),
      // The AWS-managed key: a customer-managed one costs per producer and consumer call (cdk-nag KDS3).
      encryption: StreamEncryption.MANAGED,
    });
    const { config } = props;
    this.processor = new FeatureProcessor(this, 'FeatureProcessor', {
      stream: this.eventStream,
      featureTable: props.featureTable,
      operationsTable: props.operationsTable,
      lakehouseBucket: props.lakehouseBucket,
      failedBatchBucket: props.failedBatchBucket,
      logRetention: config.logRetentionDays as RetentionDays,
      dailyItemTtlDays: config.dailyItemTtlDays,
      allowedLatenessHours: config.allowedLatenessHours,
      iteratorAgeAlarmSeconds: config.alarms.iteratorAgeSeconds,
      quarantineAlarmPerHour: config.alarms.quarantinedRecordsPerHour,
    });
  }
}
