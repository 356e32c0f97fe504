import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { JSONStringified } from '@aws-lambda-powertools/parser/helpers';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { APIGatewayProxyEventSchema } from '@aws-lambda-powertools/parser/schemas/api-gateway';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { eventStream } from '../../infra/resources.js';
import { callerOf } from '../shared/caller.js';
import { createKinesisClient } from '../shared/clients.js';
import { readEnv } from '../shared/env.js';
import { KinesisEventPublisher } from '../shared/event-publisher.js';
import { httpErrors, jsonResponse } from '../shared/http.js';
import { logger, metrics, tracer } from '../shared/observability.js';
import { IngestRequest, makeIngestEvents } from './ingest-events.js';

const env = readEnv({ streamName: eventStream.envVar });
const kinesis = tracer.captureAWSv3Client(createKinesisClient());
const ingestEvents = makeIngestEvents({ publisher: new KinesisEventPublisher(kinesis, env.streamName) });

const IngestEvent = APIGatewayProxyEventSchema.extend({ body: JSONStringified(IngestRequest) });

export const handler = middy()
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }))
  .use(httpErrors((error) => logger.error('ingest failed', { error })))
  .use(parser({ schema: IngestEvent }))
  .handler(async (event) => {
    const result = await ingestEvents(event.body, callerOf(event as unknown as APIGatewayProxyEvent));
    metrics.addMetric('EventsIngested', 'Count', result.accepted);
    metrics.addMetric('EventsRejected', 'Count', result.rejected.length);
    metrics.addMetric('EventsNotPublished', 'Count', result.failed.length);
    return jsonResponse(result.failed.length > 0 ? 207 : 202, result);
  });
