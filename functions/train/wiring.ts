import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import { lakehouseBucket, modelBucket, operationsTable } from '../../infra/resources.js';
import { createDocumentClient, createDynamoDbClient, createS3Client } from '../shared/clients.js';
import { S3ModelRegistry } from '../shared/model-registry.js';
import { logger, tracer } from '../shared/observability.js';
import { S3SnapshotStore } from '../shared/snapshot-store.js';
import type { RunRecord } from './pipeline.js';
import { S3TrainingRunStore } from './run-store.js';

/**
 * What the training steps' Lambda functions share, created once per container and only when a
 * step needs it (each function is given just the variables and permissions of its own step).
 */
let s3Client: ReturnType<typeof createS3Client> | undefined;
let documentClient: ReturnType<typeof createDocumentClient> | undefined;

function variable(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`missing environment variable ${name}`);
  return value;
}

export function s3(): ReturnType<typeof createS3Client> {
  s3Client ??= tracer.captureAWSv3Client(createS3Client());
  return s3Client;
}

export function documents(): ReturnType<typeof createDocumentClient> {
  documentClient ??= createDocumentClient(tracer.captureAWSv3Client(createDynamoDbClient()));
  return documentClient;
}

export const snapshotStore = (): S3SnapshotStore =>
  new S3SnapshotStore(s3(), variable(lakehouseBucket.envVar));
export const runStore = (): S3TrainingRunStore => new S3TrainingRunStore(s3(), variable(modelBucket.envVar));
export const modelRegistry = (): S3ModelRegistry =>
  new S3ModelRegistry({
    s3: s3(),
    bucket: variable(modelBucket.envVar),
    ddb: documents(),
    table: variable(operationsTable.envVar),
  });

/** Run records in the operations table: `pk = training#run`, `sk = <recorded at>#<run id>`. */
export async function putRunRecord(record: RunRecord): Promise<void> {
  await documents().send(
    new PutCommand({
      TableName: variable(operationsTable.envVar),
      Item: { pk: 'training#run', sk: `${record.recordedAt}#${record.runId}`, ...record },
    }),
  );
}

/** A step as a Lambda handler: Powertools logging and tracing around the use case. */
export function stepHandler<TInput, TOutput>(step: (input: TInput) => Promise<TOutput>) {
  return middy<TInput, TOutput>()
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { clearState: true }))
    .handler((input) => step(input));
}
