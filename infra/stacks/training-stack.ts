import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { type ChurnRadarConfig, isProtectedStage } from '../config.js';
import { TrainingPipeline } from '../constructs/training-pipeline.js';

export interface TrainingStackProps extends StackProps {
  readonly config: ChurnRadarConfig;
  readonly lakehouseBucket: IBucket;
  readonly modelBucket: IBucket;
  readonly operationsTable: ITable;
  /** Recorded in each model's lineage as the code that trained it. */
  readonly codeVersion: string;
}

/**
 * Training and retraining: the `train` state machine with its step functions, started weekly
 * and by drift or model-quality alarms; stateless, so it can be replaced freely.
 */
export class TrainingStack extends Stack {
  public readonly pipeline: TrainingPipeline;

  constructor(scope: Construct, id: string, props: TrainingStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.pipeline = new TrainingPipeline(this, 'TrainingPipeline', {
      stage: config.stage,
      lakehouseBucket: props.lakehouseBucket,
      modelBucket: props.modelBucket,
      operationsTable: props.operationsTable,
      logRetention: config.logRetentionDays as RetentionDays,
      gate: config.trainingPipeline.gate,
      retrainSchedule: config.schedules.retrain,
      codeVersion: props.codeVersion,
      mode: config.training,
      sagemakerInstanceType: config.trainingPipeline.sagemakerInstanceType,
      logRemovalPolicy: isProtectedStage(config) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
  }
}
