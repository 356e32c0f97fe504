import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  type AwsEndpoints,
  createDynamoDbClient,
  createKinesisClient,
  createS3Client,
  ENDPOINT_ENV,
} from '../../functions/shared/clients.js';
import { type RunningEmulator, startDynamoDb, startKinesis, startS3 } from './emulators.js';
import { createLocalResources, type LocalResourceNames, localResourceNames } from './resources.js';

export interface LocalCloudOptions {
  /** Keep data here across restarts (`.churn/` for the CLI); omitted means in memory and a temp dir. */
  readonly dataDir?: string;
  /** Fixed ports; 0 (the default) picks free ones, as tests do. */
  readonly ports?: { readonly kinesis?: number; readonly dynamodb?: number; readonly s3?: number };
  /** Prefix of every local resource name. @default 'churn-radar' */
  readonly prefix?: string;
  /** @default 'eu-west-1' */
  readonly region?: string;
  /** Shards of the event stream. @default the description's default */
  readonly shardCount?: number;
}

/** The embedded cloud: emulators on loopback, the described resources, and SDK clients pointed at them. */
export interface LocalCloud {
  readonly endpoints: Required<Pick<AwsEndpoints, 'region' | 'kinesis' | 'dynamodb' | 's3'>>;
  readonly names: LocalResourceNames;
  /** Variables to give a handler (endpoints, region, resource names): what CDK sets in AWS. */
  readonly env: Readonly<Record<string, string>>;
  readonly clients: {
    readonly kinesis: KinesisClient;
    readonly dynamodb: DynamoDBClient;
    readonly s3: S3Client;
  };
  /** Where persistent state lives, or a temp dir removed on stop. */
  readonly dataDir: string;
  readonly persistent: boolean;
  stop(): Promise<void>;
}

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const persistent = options.dataDir !== undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'churn-cloud-')));
  const region = options.region ?? 'eu-west-1';
  if (persistent) {
    await Promise.all(
      ['kinesis', 'dynamodb', 's3'].map((dir) => mkdir(join(dataDir, dir), { recursive: true })),
    );
  } else {
    await mkdir(join(dataDir, 's3'), { recursive: true });
  }

  const running: RunningEmulator[] = [];
  try {
    const [kinesis, dynamodb, s3] = await Promise.all([
      startKinesis({
        port: options.ports?.kinesis ?? 0,
        path: persistent ? join(dataDir, 'kinesis') : undefined,
      }),
      startDynamoDb({
        port: options.ports?.dynamodb ?? 0,
        path: persistent ? join(dataDir, 'dynamodb') : undefined,
      }),
      startS3({ port: options.ports?.s3 ?? 0, directory: join(dataDir, 's3') }),
    ]);
    running.push(kinesis, dynamodb, s3);

    const endpoints = { region, kinesis: kinesis.endpoint, dynamodb: dynamodb.endpoint, s3: s3.endpoint };
    const clients = {
      kinesis: createKinesisClient(endpoints),
      dynamodb: createDynamoDbClient(endpoints),
      s3: createS3Client(endpoints),
    };
    const names = localResourceNames(options.prefix ?? 'churn-radar');
    await createLocalResources(clients, names, { shardCount: options.shardCount });

    const env = {
      AWS_REGION: region,
      [ENDPOINT_ENV.kinesis]: kinesis.endpoint,
      [ENDPOINT_ENV.dynamodb]: dynamodb.endpoint,
      [ENDPOINT_ENV.s3]: s3.endpoint,
      ...names.env,
    };

    return {
      endpoints,
      names,
      env,
      clients,
      dataDir,
      persistent,
      async stop() {
        for (const client of Object.values(clients)) client.destroy();
        await Promise.all(running.map((emulator) => emulator.stop()));
        if (!persistent) await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.allSettled(running.map((emulator) => emulator.stop()));
    throw error;
  }
}

/**
 * Points this process's handlers at a local cloud by setting the variables CDK sets in AWS.
 * Returns a function that restores the previous values.
 */
export function useLocalCloudEnv(
  cloud: Pick<LocalCloud, 'env'>,
  extra: Record<string, string> = {},
): () => void {
  const previous = new Map<string, string | undefined>();
  for (const [key, value] of Object.entries({ ...cloud.env, ...extra })) {
    previous.set(key, process.env[key]);
    process.env[key] = value;
  }
  return () => {
    for (const [key, value] of previous) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}
