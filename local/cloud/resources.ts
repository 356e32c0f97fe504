import {
  type AttributeDefinition,
  CreateTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { BucketAlreadyOwnedByYou, CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  type BucketDescription,
  buckets,
  localName,
  type StreamDescription,
  streams,
  type TableDescription,
  tables,
} from '../../infra/resources.js';

/** Physical names of the local resources, keyed by their description id. */
export interface LocalResourceNames {
  readonly tables: Readonly<Record<string, string>>;
  readonly buckets: Readonly<Record<string, string>>;
  readonly streams: Readonly<Record<string, string>>;
  /** The environment variables a function reads to find them (`FEATURE_TABLE=...`). */
  readonly env: Readonly<Record<string, string>>;
}

export function localResourceNames(prefix: string): LocalResourceNames {
  const named = <T extends { id: string; envVar: string }>(items: readonly T[]) =>
    Object.fromEntries(items.map((item) => [item.id, localName(prefix, item.id)]));
  const all = [...tables, ...buckets, ...streams];
  return {
    tables: named(tables),
    buckets: named(buckets),
    streams: named(streams),
    env: Object.fromEntries(all.map((item) => [item.envVar, localName(prefix, item.id)])),
  };
}

/** The CreateTable input a description implies; also used by the drift test against CDK. */
export function createTableInput(table: TableDescription, tableName: string) {
  const keys = [
    table.partitionKey,
    table.sortKey,
    ...table.globalSecondaryIndexes.flatMap((index) => [index.partitionKey, index.sortKey]),
  ].filter((key) => key !== undefined);
  const attributeDefinitions = new Map<string, AttributeDefinition>();
  for (const key of keys)
    attributeDefinitions.set(key.name, { AttributeName: key.name, AttributeType: key.type });
  const keySchema = (partitionKey: { name: string }, sortKey?: { name: string }) => [
    { AttributeName: partitionKey.name, KeyType: 'HASH' as const },
    ...(sortKey ? [{ AttributeName: sortKey.name, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [...attributeDefinitions.values()],
    KeySchema: keySchema(table.partitionKey, table.sortKey),
    GlobalSecondaryIndexes:
      table.globalSecondaryIndexes.length === 0
        ? undefined
        : table.globalSecondaryIndexes.map((index) => ({
            IndexName: index.indexName,
            KeySchema: keySchema(index.partitionKey, index.sortKey),
            Projection:
              typeof index.projection === 'string'
                ? { ProjectionType: index.projection }
                : { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...index.projection] },
          })),
  };
}

async function createTable(client: DynamoDBClient, table: TableDescription, name: string): Promise<void> {
  try {
    await client.send(new CreateTableCommand(createTableInput(table, name)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  // dynalite implements no UpdateTimeToLive: expiry is not enforced locally, readers ignore expired items.
}

async function createBucket(client: S3Client, _bucket: BucketDescription, name: string): Promise<void> {
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  } catch (error) {
    if (!(error instanceof BucketAlreadyOwnedByYou) && (error as Error).name !== 'BucketAlreadyExists')
      throw error;
  }
}

async function createStream(
  client: KinesisClient,
  stream: StreamDescription,
  name: string,
  shardCount: number | undefined,
): Promise<void> {
  try {
    await client.send(
      new CreateStreamCommand({ StreamName: name, ShardCount: shardCount ?? stream.defaultShardCount }),
    );
  } catch (error) {
    if ((error as Error).name !== 'ResourceInUseException') throw error;
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`stream ${name} did not become ACTIVE`);
}

/** Creates every described resource; existing ones (a persisted local cloud) are kept as they are. */
export async function createLocalResources(
  clients: { dynamodb: DynamoDBClient; s3: S3Client; kinesis: KinesisClient },
  names: LocalResourceNames,
  options: { shardCount?: number } = {},
): Promise<void> {
  const nameOf = (map: Readonly<Record<string, string>>, id: string) => {
    const name = map[id];
    if (!name) throw new Error(`no local name for resource ${id}`);
    return name;
  };
  await Promise.all([
    ...tables.map((table) => createTable(clients.dynamodb, table, nameOf(names.tables, table.id))),
    ...buckets.map((bucket) => createBucket(clients.s3, bucket, nameOf(names.buckets, bucket.id))),
    ...streams.map((stream) =>
      createStream(clients.kinesis, stream, nameOf(names.streams, stream.id), options.shardCount),
    ),
  ]);
}
