import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { type IStream, Stream, StreamEncryption, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import type { Construct } from 'constructs';
import type { ChurnRadarConfig } from '../config.js';
import { eventStream } from '../resources.js';

export interface IngestionStackProps extends StackProps {
  readonly config: ChurnRadarConfig;
}

/** The path every customer event takes into churn-radar: the encrypted event stream. */
export class IngestionStack extends Stack {
  public readonly eventStream: IStream;

  constructor(scope: Construct, id: string, props: IngestionStackProps) {
    super(scope, id, props);
    this.eventStream = new Stream(this, eventStream.id, {
      streamMode: StreamMode.PROVISIONED,
      shardCount: props.config.streamShardCount,
      retentionPeriod: Duration.hours(props.config.streamRetentionHours),
      // The AWS-managed key: a customer-managed one costs per producer and consumer call (cdk-nag KDS3).
      encryption: StreamEncryption.MANAGED,
    });
  }
}
