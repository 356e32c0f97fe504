import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProcessBatch } from '../../functions/feature-processor/wiring.js';
import { createDocumentClient } from '../../functions/shared/clients.js';
import { KinesisEventPublisher } from '../../functions/shared/event-publisher.js';
import { eventFromRow, S3Lakehouse } from '../../functions/shared/lakehouse.js';
import { eventStream, featureTable, lakehouseBucket, operationsTable } from '../../infra/resources.js';
import { KinesisEventSourceMapping } from '../../local/cloud/kinesis-event-source.js';
import { type LocalCloud, startLocalCloud } from '../../local/cloud/local-cloud.js';
import { type LocalPlatform, startLocalPlatform } from '../../local/platform.js';
import { PROCESSOR_MAPPING } from '../../local/wiring/feature-processor.js';
import { aggregateEvents, type DayAggregate, reviveDay } from '../../ml/features/index.js';
import type { Event } from '../../ml/schema/index.js';
import { seededRandom, simulatedEvents } from './helpers.js';

const quiet = { info: () => undefined, error: () => undefined };
const events = simulatedEvents({ customers: 120, days: 45, seed: 7 });

function nameOf(names: Readonly<Record<string, string>>, id: string): string {
  const name = names[id];
  if (!name) throw new Error(`no resource ${id}`);
  return name;
}

/** Every day item of the online store, as `user\u0000day` -> aggregate. */
async function onlineDays(cloud: LocalCloud): Promise<Map<string, DayAggregate>> {
  const documents = createDocumentClient(cloud.clients.dynamodb);
  const days = new Map<string, DayAggregate>();
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new ScanCommand({
        TableName: nameOf(cloud.names.tables, featureTable.id),
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      if (typeof item.sk === 'string' && item.sk.startsWith('day#')) {
        days.set(`${item.user_id}\u0000${item.day}`, reviveDay(item.agg));
      }
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return days;
}

/** The same days computed in one batch pass over a list of events. */
function batchDays(source: Iterable<Event>): Map<string, DayAggregate> {
  const days = new Map<string, DayAggregate>();
  for (const [userId, byDay] of aggregateEvents(source)) {
    for (const [day, aggregate] of byDay) days.set(`${userId}\u0000${day}`, aggregate);
  }
  return days;
}

async function lakehouseEvents(cloud: LocalCloud): Promise<Event[]> {
  const lakehouse = new S3Lakehouse(cloud.clients.s3, nameOf(cloud.names.buckets, lakehouseBucket.id));
  const stored: Event[] = [];
  for await (const row of lakehouse.readEvents()) {
    const parsed = eventFromRow(row);
    if (!parsed.ok) throw new Error(parsed.reason);
    stored.push(parsed.event);
  }
  return stored;
}

const sortedById = (list: readonly Event[]) => [...list].sort((a, b) => a.event_id.localeCompare(b.event_id));

describe('ingestion: Kinesis -> feature processor -> lakehouse + online store', () => {
  let platform: LocalPlatform;
  const badRecords = [
    '{"event_id": "bad-1", "user_id": ',
    JSON.stringify({ user_id: 'u-1', ts: '2026-01-01T00:00:00Z', type: 'play', properties: {} }),
    JSON.stringify({
      event_id: 'bad-3',
      user_id: 'u-1',
      ts: 'yesterday',
      type: 'session_start',
      properties: { device: 'tv' },
    }),
    JSON.stringify({
      event_id: 'bad-4',
      user_id: 'u-1',
      ts: '2026-01-01T00:00:00Z',
      type: 'teleport',
      properties: {},
    }),
  ];

  beforeAll(async () => {
    platform = await startLocalPlatform({ apiLogger: quiet, mappingLogger: () => undefined });
    const { cloud } = platform;
    const streamName = nameOf(cloud.names.streams, eventStream.id);
    const publisher = new KinesisEventPublisher(cloud.clients.kinesis, streamName);
    const result = await publisher.publish(events);
    expect(result.failed).toEqual([]);
    await cloud.clients.kinesis.send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: [
          ...badRecords.map((text, index) => ({ PartitionKey: `bad-${index}`, Data: Buffer.from(text) })),
          { PartitionKey: 'binary', Data: Uint8Array.from([0xff, 0xfe, 0x00, 0x81]) },
        ],
      }),
    );
    await platform.featureProcessor?.drain({ timeoutMs: 120_000 });
  });
  afterAll(() => platform.stop());

  it('stores every valid event in the lakehouse exactly once', async () => {
    const stored = await lakehouseEvents(platform.cloud);
    expect(stored.length).toBe(events.length);
    expect(new Set(stored.map((event) => event.event_id)).size).toBe(events.length);
    expect(sortedById(stored)).toEqual(sortedById(events));
  });

  it('quarantines every invalid record with its reason and stream position', async () => {
    const lakehouse = new S3Lakehouse(
      platform.cloud.clients.s3,
      nameOf(platform.cloud.names.buckets, lakehouseBucket.id),
    );
    const quarantined = [];
    for await (const record of lakehouse.readQuarantine()) quarantined.push(record);
    expect(quarantined).toHaveLength(badRecords.length + 1);
    const reasons = quarantined.map((record) => record.reason).join('\n');
    expect(reasons).toMatch(/JSON/i);
    expect(reasons).toMatch(/event_id/);
    expect(reasons).toMatch(/ts/);
    expect(reasons).toMatch(/type/);
    expect(reasons).toMatch(/UTF-8/);
    expect(quarantined.every((record) => record.position.kind === 'stream')).toBe(true);
    // Nothing lost: accepted + quarantined = records put on the stream.
    const stored = await lakehouseEvents(platform.cloud);
    expect(stored.length + quarantined.length).toBe(events.length + badRecords.length + 1);
  });

  it('ends with the online store equal to a batch computation over the lakehouse', async () => {
    const online = await onlineDays(platform.cloud);
    const batch = batchDays(await lakehouseEvents(platform.cloud));
    expect(online.size).toBe(batch.size);
    expect(online.size).toBeGreaterThan(100);
    for (const [key, aggregate] of batch) expect(online.get(key), key).toEqual(aggregate);
  });
});

describe('ingestion under faults: crashes mid-batch, throttled writes, duplicate records', () => {
  let clean: Map<string, DayAggregate>;
  let cloud: LocalCloud;
  let mapping: KinesisEventSourceMapping;
  let sentDuplicates = 0;
  const faults = { throttles: 0, crashesAfterWrite: 0, s3Crashes: 0, handlerCrashes: 0 };

  beforeAll(async () => {
    clean = batchDays(events);
    cloud = await startLocalCloud();
    const random = seededRandom(2024);
    const documents = createDocumentClient(cloud.clients.dynamodb);
    // Faults sit in front of the SDK's own retries, so they reach the processor.
    documents.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'PutCommand' && context.commandName !== 'PutItemCommand')
          return next(args);
        if (random() < 0.15) {
          faults.throttles++;
          throw Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
            name: 'ProvisionedThroughputExceededException',
          });
        }
        const result = await next(args);
        if (random() < 0.05) {
          faults.crashesAfterWrite++;
          throw new Error('injected crash after a successful write');
        }
        return result;
      },
      { step: 'initialize', name: 'injectDynamoFaults' },
    );
    cloud.clients.s3.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === 'PutObjectCommand' && random() < 0.03) {
          faults.s3Crashes++;
          throw new Error('injected crash after an object was written');
        }
        return result;
      },
      { step: 'initialize', name: 'injectS3Faults' },
    );
    const processBatch = createProcessBatch(
      {
        featureTable: nameOf(cloud.names.tables, featureTable.id),
        operationsTable: nameOf(cloud.names.tables, operationsTable.id),
        lakehouseBucket: nameOf(cloud.names.buckets, lakehouseBucket.id),
        dailyItemTtlDays: 120,
        allowedLatenessHours: 24 * 400,
      },
      { documents, s3: cloud.clients.s3 },
      { metrics: { count: () => undefined } },
    );
    mapping = new KinesisEventSourceMapping({
      kinesis: cloud.clients.kinesis,
      streamName: nameOf(cloud.names.streams, eventStream.id),
      functionName: 'feature-processor',
      ...PROCESSOR_MAPPING,
      batchSize: 200,
      maximumBatchingWindowSeconds: 0,
      retryDelayMs: 1,
      pollIntervalMs: 20,
      logger: () => undefined,
      handler: async (event) => {
        if (random() < 0.05) {
          faults.handlerCrashes++;
          throw new Error('injected crash before the batch');
        }
        const response = await processBatch(event);
        if (random() < 0.05) {
          faults.handlerCrashes++;
          throw new Error('injected crash after the batch, before Lambda saw the response');
        }
        return response;
      },
    });
    // Producers retry too: some events reach the stream twice, as separate records.
    const withDuplicates: Event[] = [];
    for (const event of events) {
      withDuplicates.push(event);
      if (random() < 0.05) {
        withDuplicates.push(event);
        sentDuplicates++;
      }
    }
    const publisher = new KinesisEventPublisher(
      cloud.clients.kinesis,
      nameOf(cloud.names.streams, eventStream.id),
    );
    expect((await publisher.publish(withDuplicates)).failed).toEqual([]);
    await mapping.start();
    await mapping.drain({ timeoutMs: 240_000 });
  }, 300_000);
  afterAll(async () => {
    await mapping.stop();
    await cloud.stop();
  });

  it('injected every kind of fault at least once', () => {
    expect(sentDuplicates).toBeGreaterThan(0);
    expect(faults.throttles).toBeGreaterThan(0);
    expect(faults.crashesAfterWrite).toBeGreaterThan(0);
    expect(faults.s3Crashes).toBeGreaterThan(0);
    expect(faults.handlerCrashes).toBeGreaterThan(0);
    expect(mapping.stats.onFailureBatches).toBe(0);
  });

  it('ends with the same online features as a clean run, exactly', async () => {
    const online = await onlineDays(cloud);
    expect(online.size).toBe(clean.size);
    for (const [key, aggregate] of clean) expect(online.get(key), key).toEqual(aggregate);
  });

  it('ends with every event in the lakehouse exactly once', async () => {
    const stored = await lakehouseEvents(cloud);
    // Redelivered records never add rows; a producer's duplicate sent in another batch is a distinct
    // record and is kept, to be dropped by event id on read, so rows stay within what was sent.
    expect(new Set(stored.map((event) => event.event_id)).size).toBe(events.length);
    expect(stored.length).toBeGreaterThanOrEqual(events.length);
    expect(stored.length).toBeLessThanOrEqual(events.length + sentDuplicates);
  });
});
