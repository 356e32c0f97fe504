import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * Where the AWS services are. Empty means "real AWS, default credential chain";
 * the local cloud fills every field. Read from the SDK's own service-specific
 * endpoint variables so one handler bundle serves both worlds unchanged.
 */
export interface AwsEndpoints {
  readonly region?: string;
  readonly kinesis?: string;
  readonly dynamodb?: string;
  readonly s3?: string;
  readonly eventbridge?: string;
}

/** Variable names the local cloud sets and {@link endpointsFromEnv} reads. */
export const ENDPOINT_ENV = {
  kinesis: 'AWS_ENDPOINT_URL_KINESIS',
  dynamodb: 'AWS_ENDPOINT_URL_DYNAMODB',
  s3: 'AWS_ENDPOINT_URL_S3',
  eventbridge: 'AWS_ENDPOINT_URL_EVENTBRIDGE',
} as const;

export function endpointsFromEnv(env: NodeJS.ProcessEnv = process.env): AwsEndpoints {
  return {
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
    kinesis: env[ENDPOINT_ENV.kinesis],
    dynamodb: env[ENDPOINT_ENV.dynamodb],
    s3: env[ENDPOINT_ENV.s3],
    eventbridge: env[ENDPOINT_ENV.eventbridge],
  };
}

/** The emulators accept any key; s3rver insists on this pair. */
const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

function baseConfig(endpoint: string | undefined, region: string | undefined) {
  if (!endpoint) return region ? { region } : {};
  return {
    region: region ?? 'eu-west-1',
    endpoint,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 3,
  };
}

export function createKinesisClient(endpoints: AwsEndpoints = endpointsFromEnv()): KinesisClient {
  const config = baseConfig(endpoints.kinesis, endpoints.region);
  // kinesalite speaks HTTP/1.1 only; the SDK's default HTTP/2 handler fails with "Protocol error".
  return new KinesisClient(
    endpoints.kinesis
      ? { ...config, requestHandler: new NodeHttpHandler({ requestTimeout: 30_000 }) }
      : config,
  );
}

export function createDynamoDbClient(endpoints: AwsEndpoints = endpointsFromEnv()): DynamoDBClient {
  return new DynamoDBClient(baseConfig(endpoints.dynamodb, endpoints.region));
}

export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

export function createS3Client(endpoints: AwsEndpoints = endpointsFromEnv()): S3Client {
  const config = baseConfig(endpoints.s3, endpoints.region);
  if (!endpoints.s3) return new S3Client(config);
  return new S3Client({
    ...config,
    forcePathStyle: true,
    // Without these, streamed uploads are stored with the SDK's chunk framing inside the object.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export function createEventBridgeClient(endpoints: AwsEndpoints = endpointsFromEnv()): EventBridgeClient {
  return new EventBridgeClient(baseConfig(endpoints.eventbridge, endpoints.region));
}
