import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buckets, streams, tables } from '../../infra/resources.js';
import { type LocalCloud, startLocalCloud } from '../../local/cloud/local-cloud.js';
import { createTableInput } from '../../local/cloud/resources.js';
import { testApp } from './helpers.js';

interface KeyElement {
  AttributeName?: string;
  KeyType?: string;
}
interface TableShape {
  keys: KeyElement[];
  attributes: { name?: string; type?: string }[];
  indexes: { name?: string; keys: KeyElement[]; projection?: string }[];
}

const byName = <T extends { name?: string }>(items: T[]) =>
  [...items].sort((a, b) => String(a.name).localeCompare(String(b.name)));

/** The parts of a table that must agree between CDK and the local cloud, in one normal form. */
function shapeOf(table: {
  KeySchema?: KeyElement[];
  AttributeDefinitions?: { AttributeName?: string; AttributeType?: string }[];
  GlobalSecondaryIndexes?: {
    IndexName?: string;
    KeySchema?: KeyElement[];
    Projection?: { ProjectionType?: string };
  }[];
}): TableShape {
  return {
    keys: (table.KeySchema ?? []).map(({ AttributeName, KeyType }) => ({ AttributeName, KeyType })),
    attributes: byName(
      (table.AttributeDefinitions ?? []).map((a) => ({ name: a.AttributeName, type: a.AttributeType })),
    ),
    indexes: byName(
      (table.GlobalSecondaryIndexes ?? []).map((index) => ({
        name: index.IndexName,
        keys: (index.KeySchema ?? []).map(({ AttributeName, KeyType }) => ({ AttributeName, KeyType })),
        projection: index.Projection?.ProjectionType,
      })),
    ),
  };
}

describe('one resource description for CDK and the local cloud', () => {
  let cloud: LocalCloud;
  let dataTemplate: Template;
  let ingestionTemplate: Template;
  beforeAll(async () => {
    cloud = await startLocalCloud();
    const built = testApp();
    dataTemplate = Template.fromStack(built.data);
    ingestionTemplate = Template.fromStack(built.ingestion);
  });
  afterAll(() => cloud.stop());

  it.each(tables.map((table) => [table.id, table] as const))(
    'table %s has the same keys and indexes in both',
    async (id, table) => {
      const cdkTables = dataTemplate.findResources('AWS::DynamoDB::Table');
      const cdkTable = Object.entries(cdkTables).find(([logicalId]) => logicalId.startsWith(id))?.[1] as
        | {
            Properties: Parameters<typeof shapeOf>[0] & {
              TimeToLiveSpecification?: { AttributeName: string };
            };
          }
        | undefined;
      expect(cdkTable, `CDK template has no table ${id}`).toBeDefined();
      const tableName = cloud.names.tables[id] ?? '';
      const local = await cloud.clients.dynamodb.send(new DescribeTableCommand({ TableName: tableName }));

      const cdkShape = shapeOf(cdkTable?.Properties ?? {});
      expect(cdkShape).toEqual(shapeOf(local.Table ?? {}));
      expect(cdkShape).toEqual(shapeOf(createTableInput(table, tableName)));
      expect(cdkShape.keys.length).toBeGreaterThan(0);
      expect(cdkTable?.Properties.TimeToLiveSpecification?.AttributeName).toBe(table.timeToLiveAttribute);
    },
  );

  it('creates every described bucket in both', async () => {
    const cdkBuckets = Object.keys(dataTemplate.findResources('AWS::S3::Bucket'));
    for (const bucket of buckets) {
      expect(cdkBuckets.some((logicalId) => logicalId.startsWith(bucket.id))).toBe(true);
      const head = await cloud.clients.s3.send(
        new HeadBucketCommand({ Bucket: cloud.names.buckets[bucket.id] }),
      );
      expect(head.$metadata.httpStatusCode).toBe(200);
    }
  });

  it('creates every described stream in both', async () => {
    const cdkStreams = Object.keys(ingestionTemplate.findResources('AWS::Kinesis::Stream'));
    for (const stream of streams) {
      expect(cdkStreams.some((logicalId) => logicalId.startsWith(stream.id))).toBe(true);
      const summary = await cloud.clients.kinesis.send(
        new DescribeStreamSummaryCommand({ StreamName: cloud.names.streams[stream.id] }),
      );
      expect(summary.StreamDescriptionSummary?.OpenShardCount).toBe(stream.defaultShardCount);
    }
  });
});
