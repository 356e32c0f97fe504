import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { KinesisStreamEvent } from 'aws-lambda';
import { featureTable, lakehouseBucket, operationsTable } from '../../infra/resources.js';
import { createDocumentClient, createDynamoDbClient, createS3Client } from '../shared/clients.js';
import { readEnv, readNumber } from '../shared/env.js';
import { logger, metrics, tracer } from '../shared/observability.js';
import { createProcessBatch } from './wiring.js';

const env = readEnv({
  featureTable: featureTable.envVar,
  operationsTable: operationsTable.envVar,
  lakehouseBucket: lakehouseBucket.envVar,
});

const processBatch = createProcessBatch(
  {
    ...env,
    dailyItemTtlDays: readNumber('DAILY_ITEM_TTL_DAYS', 120),
    allowedLatenessHours: readNumber('ALLOWED_LATENESS_HOURS', 2160),
  },
  {
    documents: createDocumentClient(tracer.captureAWSv3Client(createDynamoDbClient())),
    s3: tracer.captureAWSv3Client(createS3Client()),
  },
  {
    metrics: { count: (name, value) => metrics.addMetric(name, MetricUnit.Count, value) },
    log: (message, detail) => logger.warn(message, { ...detail }),
  },
);

export const handler = middy<KinesisStreamEvent>()
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }))
  .handler((event) => processBatch(event));
