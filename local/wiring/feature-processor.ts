import { join } from 'node:path';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { eventStream, failedBatchBucket } from '../../infra/resources.js';
import { KinesisEventSourceMapping, type MappingLogger } from '../cloud/kinesis-event-source.js';
import type { LocalHandler } from '../cloud/lambda.js';
import type { LocalCloud } from '../cloud/local-cloud.js';

type ProcessorHandler = LocalHandler<KinesisStreamEvent, KinesisStreamBatchResponse>;

/** The settings CDK gives the event-source mapping (infra/constructs/feature-processor.ts). */
export const PROCESSOR_MAPPING = {
  batchSize: 1000,
  maximumBatchingWindowSeconds: 1,
  bisectBatchOnFunctionError: true,
  maximumRetryAttempts: 10,
  reportBatchItemFailures: true,
} as const;

/**
 * Loads the real feature-processor handler (functions/feature-processor/handler.ts) the way
 * Lambda does: its environment is set first, then the module is imported once and its
 * cold-start code reads it. The local cloud's variables must already be in process.env.
 */
export async function loadFeatureProcessorHandler(): Promise<ProcessorHandler> {
  const module = (await import('../../functions/feature-processor/handler.js')) as { handler: unknown };
  return module.handler as ProcessorHandler;
}

export function featureProcessorMapping(
  cloud: LocalCloud,
  handler: ProcessorHandler,
  options: { logger?: MappingLogger; pollIntervalMs?: number; retryDelayMs?: number } = {},
): KinesisEventSourceMapping {
  const streamName = cloud.names.streams[eventStream.id];
  const bucket = cloud.names.buckets[failedBatchBucket.id];
  if (!streamName || !bucket) throw new Error('the local cloud has no event stream or failed-batch bucket');
  return new KinesisEventSourceMapping({
    kinesis: cloud.clients.kinesis,
    streamName,
    functionName: 'feature-processor',
    handler,
    ...PROCESSOR_MAPPING,
    onFailure: { s3: cloud.clients.s3, bucket },
    checkpointFile: cloud.persistent
      ? join(cloud.dataDir, 'checkpoints', 'feature-processor.json')
      : undefined,
    pollIntervalMs: options.pollIntervalMs ?? 100,
    retryDelayMs: options.retryDelayMs,
    logger: options.logger,
  });
}
