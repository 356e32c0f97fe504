import { fileURLToPath } from 'node:url';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../functions/shared/clients.js';
import { S3Lakehouse } from '../../functions/shared/lakehouse.js';
import { S3ModelRegistry } from '../../functions/shared/model-registry.js';
import { ListedRawEvents, S3SnapshotStore } from '../../functions/shared/snapshot-store.js';
import {
  makeBuildSnapshot,
  makeWriteSnapshotManifest,
  parseSnapshotInput,
  snapshotEventRange,
} from '../../functions/snapshot/build-snapshot.js';
import {
  GatePolicy,
  gateCandidate,
  makePlanTraining,
  makeRecordOutcome,
  makeRegisterStep,
  makeSetAliasStep,
  makeStackStep,
  makeTrainComponentStep,
  makeWriteManifests,
  type RunRecord,
  readPlan,
  type StackOutcome,
  type TrainingPlan,
} from '../../functions/train/pipeline.js';
import { S3TrainingRunStore } from '../../functions/train/run-store.js';
import { lakehouseBucket, modelBucket, operationsTable } from '../../infra/resources.js';
import type { LocalHandler } from '../cloud/lambda.js';
import type { LocalCloud } from '../cloud/local-cloud.js';
import { type ExecutionResult, runStateMachine, type ServiceHandler } from '../cloud/step-functions.js';

export const TRAIN_STATE_MACHINE = fileURLToPath(
  new URL('../../statemachines/train.asl.json', import.meta.url),
);

/** Local function names of the training steps; CDK creates one Lambda function for each. */
export const TRAINING_FUNCTIONS = {
  PlanTrainingFunctionArn: 'train-plan',
  SnapshotFunctionArn: 'snapshot',
  WriteManifestsFunctionArn: 'train-write-manifests',
  TrainComponentFunctionArn: 'train-component',
  StackFunctionArn: 'train-stack',
  GateFunctionArn: 'train-gate',
  RegisterFunctionArn: 'train-register',
  SetAliasFunctionArn: 'train-set-alias',
  RecordOutcomeFunctionArn: 'train-record-outcome',
} as const;

export type TrainingFunctionName = (typeof TRAINING_FUNCTIONS)[keyof typeof TRAINING_FUNCTIONS];

/** An EventBridge entry as the state machine put it. */
export interface PutEventEntry {
  readonly EventBusName?: string;
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: unknown;
}

export interface LocalTrainingOptions {
  readonly now?: () => Date;
  readonly defaultGate?: Partial<GatePolicy>;
  readonly log?: (message: string) => void;
  /** Replace a step's handler (tests inject failures); by local function name. */
  readonly overrides?: Partial<Record<TrainingFunctionName, LocalHandler<never, unknown>>>;
  /** Where `events:putEvents` entries go. */
  readonly onEvent?: (entry: PutEventEntry) => void;
}

/** Where the steps run against: the clients and the names of the resources they use. */
export interface TrainingTarget {
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
  readonly lakehouseName: string;
  readonly modelName: string;
  readonly operationsName: string;
}

export function targetOf(cloud: LocalCloud): TrainingTarget {
  return {
    s3: cloud.clients.s3,
    dynamodb: cloud.clients.dynamodb,
    lakehouseName: cloud.names.buckets[lakehouseBucket.id] as string,
    modelName: cloud.names.buckets[modelBucket.id] as string,
    operationsName: cloud.names.tables[operationsTable.id] as string,
  };
}

const region = 'local';
const account = '000000000000';

/**
 * The training state machine's steps wired to the local cloud: the same use cases the Lambda
 * handlers wire, with the local clients. Snapshot buckets of one cut-off share one listing of
 * the raw files (each bucket listing its own prefixes walks the whole local store every time).
 */
export function localTrainingMachine(
  target: LocalCloud | TrainingTarget,
  options: LocalTrainingOptions = {},
) {
  const now = options.now ?? (() => new Date());
  const { s3, dynamodb, lakehouseName, modelName, operationsName } =
    'clients' in target ? targetOf(target) : target;
  const documents = createDocumentClient(dynamodb);
  const snapshots = new S3SnapshotStore(s3, lakehouseName);
  const lakehouse = new S3Lakehouse(s3, lakehouseName);
  const runs = new S3TrainingRunStore(s3, modelName);
  const registry = new S3ModelRegistry({ s3, bucket: modelName, ddb: documents, table: operationsName, now });
  const readSnapshot = (asOf: string, horizonDays: number) => snapshots.readSnapshot(asOf, horizonDays);
  const listings = new Map<string, Promise<ListedRawEvents>>();

  const buildSnapshot = async (event: unknown) => {
    const input = parseSnapshotInput(event);
    const observedUntil = input.observedUntil ?? '';
    const range = snapshotEventRange(input.asOf, observedUntil);
    const key = `${range.fromDay}|${range.toDay}`;
    let listing = listings.get(key);
    if (listing === undefined) {
      listing = ListedRawEvents.list(s3, lakehouseName, range);
      listings.set(key, listing);
    }
    const listed = await listing;
    return makeBuildSnapshot({
      lakehouse: {
        readEvents: (query) => listed.readEvents(query),
        readProfiles: (dataset) => lakehouse.readProfiles(dataset),
        readLabels: (dataset) => lakehouse.readLabels(dataset),
      },
      writer: snapshots,
      now,
    })(input);
  };
  const log = options.log;
  const planTraining = makePlanTraining({
    rawDataUntil: (from, until) => snapshots.rawDataUntil(from, until),
    now,
    defaultGate: GatePolicy.parse(options.defaultGate ?? {}),
    codeVersion: process.env.CHURN_CODE_VERSION ?? 'local',
    savePlan: (plan) =>
      runs.putFiles(
        plan.runId,
        'plan',
        new Map([['plan.json', new TextEncoder().encode(JSON.stringify(plan))]]),
      ),
  });
  const trainComponent = makeTrainComponentStep({
    readSnapshot,
    runs,
    ...(log === undefined ? {} : { log }),
  });
  const records: RunRecord[] = [];
  const functions: Record<TrainingFunctionName, LocalHandler<never, unknown>> = {
    'train-plan': async (event: unknown) => planTraining(event),
    snapshot: buildSnapshot,
    'train-write-manifests': makeWriteManifests({
      writeManifest: makeWriteSnapshotManifest({ store: snapshots, now }),
    }) as LocalHandler<never, unknown>,
    'train-component': trainComponent as LocalHandler<never, unknown>,
    'train-stack': makeStackStep({ readSnapshot, runs, registry, now }) as LocalHandler<never, unknown>,
    'train-gate': async (event: { plan: TrainingPlan; evaluation: StackOutcome }) =>
      gateCandidate(event.evaluation, readPlan(event).gate),
    'train-register': makeRegisterStep({ runs, registry }) as LocalHandler<never, unknown>,
    'train-set-alias': makeSetAliasStep({ registry }) as LocalHandler<never, unknown>,
    'train-record-outcome': makeRecordOutcome({
      now,
      put: async (record) => {
        records.push(record);
        await documents.send(
          new PutCommand({
            TableName: operationsName,
            Item: { pk: 'training#run', sk: `${record.recordedAt}#${record.runId}`, ...record },
          }),
        );
      },
    }) as LocalHandler<never, unknown>,
    ...options.overrides,
  };
  const services: Record<string, ServiceHandler> = {
    'arn:aws:states:::events:putEvents': async (input: { Entries: PutEventEntry[] }) => {
      for (const entry of input.Entries) options.onEvent?.(entry);
      return {
        Entries: input.Entries.map((_, index) => ({ EventId: `local-${Date.now()}-${index}` })),
        FailedEntryCount: 0,
      };
    },
    // SageMaker mode locally: the training job runs the same component step in this process.
    'arn:aws:states:::sagemaker:createTrainingJob.sync': async (input: {
      HyperParameters: { run_id: string; component: string };
      TrainingJobName: string;
    }) => {
      const plan = (await runs.getFiles(input.HyperParameters.run_id, 'plan')).get('plan.json');
      if (plan === undefined) throw new Error(`no plan stored for run ${input.HyperParameters.run_id}`);
      await trainComponent({
        plan: JSON.parse(new TextDecoder().decode(plan)) as TrainingPlan,
        component: input.HyperParameters.component,
      });
      return { TrainingJobName: input.TrainingJobName, TrainingJobStatus: 'Completed' };
    },
  };
  const arn = (name: string) => `arn:aws:lambda:${region}:${account}:function:${name}`;
  const substitutions: Record<string, string> = {
    ...Object.fromEntries(
      Object.entries(TRAINING_FUNCTIONS).map(([placeholder, name]) => [placeholder, arn(name)]),
    ),
    TrainingImageUri: `${account}.dkr.ecr.${region}.amazonaws.com/churn-radar-training:local`,
    SageMakerRoleArn: `arn:aws:iam::${account}:role/churn-radar-training`,
    ModelBucketName: modelName,
    LakehouseBucketName: lakehouseName,
    TrainingInstanceType: 'ml.m5.2xlarge',
    EventBusName: 'default',
  };
  return {
    functions,
    services,
    substitutions,
    registry,
    records,
    run: (
      input: unknown,
      runOptions: { retryIntervalOverrides?: number; executionName?: string } = {},
    ): Promise<ExecutionResult> =>
      runStateMachine({
        definitionFile: TRAIN_STATE_MACHINE,
        substitutions,
        functions,
        services,
        input,
        retryIntervalOverrides: runOptions.retryIntervalOverrides ?? 0,
        ...(runOptions.executionName === undefined ? {} : { executionName: runOptions.executionName }),
      }),
  };
}
