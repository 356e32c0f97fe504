import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { lakehouseBucket } from '../../infra/resources.js';
import { createS3Client } from '../shared/clients.js';
import { readEnv } from '../shared/env.js';
import { S3Lakehouse } from '../shared/lakehouse.js';
import { logger, metrics, tracer } from '../shared/observability.js';
import { S3SnapshotStore } from '../shared/snapshot-store.js';
import { makeBuildSnapshot, parseSnapshotInput } from './build-snapshot.js';

const env = readEnv({ lakehouseBucket: lakehouseBucket.envVar });
const s3 = tracer.captureAWSv3Client(createS3Client());

const buildSnapshot = makeBuildSnapshot({
  lakehouse: new S3Lakehouse(s3, env.lakehouseBucket),
  writer: new S3SnapshotStore(s3, env.lakehouseBucket),
});

/**
 * One iteration of the snapshot Distributed Map: `{ asOf, horizonDays, bucket, profilesDataset? }`
 * in, the bucket's summary out. Bad input fails with `SnapshotInputError`, which the state
 * machine catches by name instead of retrying.
 */
export const handler = middy<unknown>()
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }))
  .handler(async (event) => {
    const input = parseSnapshotInput(event);
    logger.appendKeys({ asOf: input.asOf, horizonDays: input.horizonDays, bucket: input.bucket });
    const summary = await buildSnapshot(input);
    metrics.addMetric('SnapshotCustomers', MetricUnit.Count, summary.customers);
    metrics.addMetric('SnapshotPositives', MetricUnit.Count, summary.positives);
    metrics.addMetric('SnapshotUnknownLabels', MetricUnit.Count, summary.unknownLabels);
    metrics.addMetric('SnapshotEventsSkipped', MetricUnit.Count, summary.eventsSkipped);
    if (summary.eventsSkipped > 0) {
      logger.warn('stored events skipped: no longer valid, or in another bucket', {
        skipped: summary.eventsSkipped,
      });
    }
    return summary;
  });
