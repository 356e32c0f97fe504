import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource, S3OnFailureDestination } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { featureTable, lakehouseBucket, operationsTable } from '../resources.js';
import { ServiceFunction } from './service-function.js';

export interface FeatureProcessorProps {
  readonly stream: IStream;
  readonly featureTable: ITable;
  /** Holds the per-shard lakehouse journal. */
  readonly operationsTable: ITable;
  /** Raw events and quarantine. */
  readonly lakehouseBucket: IBucket;
  /** The event-source mapping's on-failure destination. */
  readonly failedBatchBucket: IBucket;
  readonly logRetention: RetentionDays;
  /** @default 1000 */
  readonly batchSize?: number;
  /** @default Duration.seconds(5) */
  readonly maxBatchingWindow?: Duration;
  /** Retries of a failing batch before it goes to the on-failure destination. @default 10 */
  readonly retryAttempts?: number;
  /** Days a daily activity item lives. */
  readonly dailyItemTtlDays: number;
  /** Events later than this reach the lakehouse only. */
  readonly allowedLatenessHours: number;
  /** Alarm when the oldest unprocessed record is older than this. */
  readonly iteratorAgeAlarmSeconds: number;
  /** Alarm when more records than this are quarantined in an hour. */
  readonly quarantineAlarmPerHour: number;
  /** CloudWatch namespace of the processor's metrics. @default 'ChurnRadar' */
  readonly metricsNamespace?: string;
}

/**
 * The Kinesis-triggered feature processor: validates every event, appends it to the lakehouse
 * (or quarantine) exactly once, folds it into the online feature store per customer and day,
 * and reports partial batch failures. Bisects failing batches, gives up after a bounded number
 * of retries and then records the batch in S3, so a poison record never blocks a shard.
 */
export class FeatureProcessor extends Construct {
  public readonly function: ServiceFunction;
  public readonly iteratorAgeAlarm: Alarm;
  public readonly quarantineAlarm: Alarm;

  constructor(scope: Construct, id: string, props: FeatureProcessorProps) {
    super(scope, id);
    const batchSize = props.batchSize ?? 1000;
    if (batchSize < 1 || batchSize > 10_000) {
      throw new Error(`FeatureProcessor ${id}: batchSize must be 1-10000, got ${batchSize}`);
    }
    const namespace = props.metricsNamespace ?? 'ChurnRadar';

    this.function = new ServiceFunction(this, 'Handler', {
      entry: 'functions/feature-processor/handler.ts',
      description: 'Validates events, appends them to the lakehouse and updates the online feature store',
      serviceName: 'feature-processor',
      logRetention: props.logRetention,
      memorySize: 1024,
      timeout: Duration.minutes(2),
      metricsNamespace: namespace,
      environment: {
        [featureTable.envVar]: props.featureTable.tableName,
        [operationsTable.envVar]: props.operationsTable.tableName,
        [lakehouseBucket.envVar]: props.lakehouseBucket.bucketName,
        DAILY_ITEM_TTL_DAYS: String(props.dailyItemTtlDays),
        ALLOWED_LATENESS_HOURS: String(props.allowedLatenessHours),
      },
    });
    const handler = this.function.function;

    props.featureTable.grantReadWriteData(handler);
    props.operationsTable.grantReadWriteData(handler);
    // Only what the processor writes: raw events and quarantine; no listing, no other prefixes.
    props.lakehouseBucket.grantPut(handler, 'raw/*');
    props.lakehouseBucket.grantPut(handler, 'quarantine/*');
    props.lakehouseBucket.grantDelete(handler, 'raw/*');
    props.lakehouseBucket.grantDelete(handler, 'quarantine/*');

    handler.addEventSource(
      new KinesisEventSource(props.stream, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize,
        maxBatchingWindow: props.maxBatchingWindow ?? Duration.seconds(5),
        bisectBatchOnError: true,
        retryAttempts: props.retryAttempts ?? 10,
        reportBatchItemFailures: true,
        maxRecordAge: Duration.days(1),
        onFailure: new S3OnFailureDestination(props.failedBatchBucket),
      }),
    );

    NagSuppressions.addResourceSuppressions(
      handler,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Scoped by grant helpers: the feature table and its indexes, raw/ and quarantine/ objects of the lakehouse, ' +
            'the failed-batch bucket (written by the event-source mapping), and the data key for those resources only.',
          appliesTo: [
            { regex: '/^Resource::.*FeatureTable.*\\/index\\/\\*$/' },
            { regex: '/^Resource::.*LakehouseBucket.*\\/(raw|quarantine)\\/\\*$/' },
            { regex: '/^Resource::.*FailedBatchBucket.*\\/\\*$/' },
            { regex: '/^Action::(kms:GenerateDataKey|kms:ReEncrypt)\\*$/' },
            { regex: '/^Action::s3:(Abort|DeleteObject|GetBucket|GetObject|List)\\*$/' },
          ],
        },
      ],
      true,
    );

    this.iteratorAgeAlarm = new Alarm(this, 'IteratorAgeAlarm', {
      alarmDescription:
        'Events wait too long on the stream: the feature processor is falling behind or failing.',
      metric: new Metric({
        namespace: 'AWS/Lambda',
        metricName: 'IteratorAge',
        dimensionsMap: { FunctionName: handler.functionName },
        statistic: 'Maximum',
        period: Duration.minutes(1),
      }),
      threshold: props.iteratorAgeAlarmSeconds * 1000,
      evaluationPeriods: 5,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    this.quarantineAlarm = new Alarm(this, 'QuarantineAlarm', {
      alarmDescription:
        'Many records failed validation and were quarantined: a producer is sending bad events.',
      metric: new Metric({
        namespace,
        metricName: 'RecordsQuarantined',
        dimensionsMap: { service: 'feature-processor' },
        statistic: 'Sum',
        period: Duration.hours(1),
      }),
      threshold: props.quarantineAlarmPerHour,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
