import { createRequire } from 'node:module';
import { App, Aspects, Tags } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type ChurnRadarConfig, loadConfig } from './config.js';
import { ApiStack } from './stacks/api-stack.js';
import { DataStack } from './stacks/data-stack.js';
import { IngestionStack } from './stacks/ingestion-stack.js';
import { TrainingStack } from './stacks/training-stack.js';

export interface ChurnRadarApp {
  readonly app: App;
  readonly config: ChurnRadarConfig;
  readonly data: DataStack;
  readonly ingestion: IngestionStack;
  readonly api: ApiStack;
  readonly training: TrainingStack;
}

/** What a model's lineage names when `codeVersion` is not configured: the package version. */
function packageVersion(): string {
  const { name, version } = createRequire(import.meta.url)('../package.json') as {
    name: string;
    version: string;
  };
  return `${name}@${version}`;
}

/**
 * Builds every stack. Shared by `infra/bin/app.ts` (cdk synth/deploy) and the tests, so
 * what is tested is what is deployed. cdk-nag's AwsSolutions pack runs on every stack.
 */
export function buildApp(app: App = new App()): ChurnRadarApp {
  const config = loadConfig((key) => app.node.tryGetContext(key));
  const prefix = `ChurnRadar-${config.stage}`;
  const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };

  const data = new DataStack(app, `${prefix}-Data`, {
    config,
    env,
    description: 'churn-radar: feature store, lakehouse, model registry and export buckets (stateful)',
  });
  const ingestion = new IngestionStack(app, `${prefix}-Ingestion`, {
    config,
    env,
    featureTable: data.featureTable,
    operationsTable: data.operationsTable,
    lakehouseBucket: data.lakehouseBucket,
    failedBatchBucket: data.failedBatchBucket,
    description: 'churn-radar: event stream and feature processor',
  });

  const api = new ApiStack(app, `${prefix}-Api`, {
    config,
    env,
    eventStream: ingestion.eventStream,
    description: 'churn-radar: Cognito user pool and the authenticated REST API',
  });

  const training = new TrainingStack(app, `${prefix}-Training`, {
    config,
    env,
    lakehouseBucket: data.lakehouseBucket,
    modelBucket: data.modelBucket,
    operationsTable: data.operationsTable,
    codeVersion: config.codeVersion ?? packageVersion(),
    description: 'churn-radar: training and retraining pipeline (Step Functions, schedule, drift trigger)',
  });

  Tags.of(app).add('project', 'churn-radar');
  Tags.of(app).add('stage', config.stage);
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  return { app, config, data, ingestion, api, training };
}
