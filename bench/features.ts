/**
 * Feature processor benchmark, on simulated events:
 *
 * (a) the per-record path on one core (base64 record -> UTF-8 -> `parseEventJson` -> group per
 *     customer-day -> `addEvent`; goal: 300,000 events/s), with references in the same run (JSON.parse
 *     only, zod instead of `parseEvent`) and the whole use case (`makeProcessBatch`) on in-memory fakes;
 * (b) events/s end to end through the local cloud: Kinesis -> the real feature processor on the
 *     platform's event-source mapping -> DynamoDB + S3;
 * (c) DynamoDB write requests per 1,000 events (goal: 100 or fewer), counted on the SDK client of a
 *     processor built by `createProcessBatch`, and by batch size on fakes;
 * (d) memory while one 10,000-record batch is processed.
 *
 *   npm run bench -- features [--customers 2000] [--days 30] [--seed 7] [--rounds 5]
 *
 * The last line printed is one JSON object with the figures.
 */
import { createHash } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { S3LakehouseAppender } from '../functions/feature-processor/lakehouse-appender.js';
import {
  type LakehouseAppender,
  makeProcessBatch,
  type ProcessorMetrics,
} from '../functions/feature-processor/process-batch.js';
import { createProcessBatch } from '../functions/feature-processor/wiring.js';
import { createDocumentClient, createDynamoDbClient, createS3Client } from '../functions/shared/clients.js';
import { KinesisEventPublisher, partitionKeyFor } from '../functions/shared/event-publisher.js';
import { type FeatureStore, type StoredDay, storedDayKey } from '../functions/shared/feature-store.js';
import { S3Lakehouse } from '../functions/shared/lakehouse.js';
import type { LakehouseJournal, ShardJournalEntry } from '../functions/shared/lakehouse-journal.js';
import { eventStream, featureTable, lakehouseBucket, operationsTable } from '../infra/resources.js';
import { createLocalResources, localResourceNames } from '../local/cloud/resources.js';
import { startLocalPlatform } from '../local/platform.js';
import { featureProcessorMapping, PROCESSOR_MAPPING } from '../local/wiring/feature-processor.js';
import { addEvent, type DayAggregate, dayOf, emptyDay, mergeDays } from '../ml/features/index.js';
import { type Event, EventSchema, parseEventJson } from '../ml/schema/index.js';
import { formatRows, runSimulationSync } from '../ml/simulate/index.js';
import { wholeNumber } from './lib/args.js';

const GOAL_EVENTS_PER_S = 300_000;
const GOAL_WRITES_PER_1000 = 100;
const MEMORY_BATCH = 10_000;
const WRITE_BATCH_SIZES = [100, 1000, 10_000] as const;
/** What CDK configures (infra/config.ts `allowedLatenessHours`); simulated events are at most a month old. */
const ALLOWED_LATENESS_HOURS = 2160;
const DAY_MS = 86_400_000;

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '2000' },
    days: { type: 'string', default: '30' },
    seed: { type: 'string', default: '7' },
    rounds: { type: 'string', default: '5' },
  },
});

const customers = wholeNumber('customers', values.customers);
const days = wholeNumber('days', values.days);
const seed = wholeNumber('seed', values.seed);
const rounds = wholeNumber('rounds', values.rounds);
const gc = globalThis.gc;
if (gc === undefined) throw new Error('run with --expose-gc: npm run bench -- features');
const loadAtStart = loadavg()[0] ?? 0;

// ---------------------------------------------------------------------------------------------
// Data: simulated events ending yesterday, so none is late for the processor, laid out on shards
// the way Kinesis does it (MD5 of the partition key over evenly split hash-key ranges).

interface SourceEvent {
  readonly line: string;
  readonly event: Event;
}

const start = new Date(Date.now() - (days + 1) * DAY_MS).toISOString().slice(0, 10);
const source: SourceEvent[] = [];
process.stderr.write(`simulating ${customers} customers x ${days} days from ${start}\n`);
runSimulationSync(
  { customers, days, seed, start },
  {
    onDay: (day) => {
      for (const line of day.jsonl.toString('latin1').split('\n')) {
        if (line === '') continue;
        const parsed = parseEventJson(line);
        if (!parsed.ok) throw new Error(`the simulator wrote an invalid event: ${parsed.reason}`);
        source.push({ line, event: parsed.event });
      }
    },
  },
);
const events = source.map((item) => item.event);

const shardCount = eventStream.defaultShardCount;
const shardIds = Array.from(
  { length: shardCount },
  (_, index) => `shardId-${String(index).padStart(12, '0')}`,
);
const shardOfCustomer = new Map<string, number>();
function shardIndexOf(userId: string): number {
  let index = shardOfCustomer.get(userId);
  if (index === undefined) {
    const hash = BigInt(`0x${createHash('md5').update(partitionKeyFor(userId)).digest('hex')}`);
    index = Number((hash * BigInt(shardCount)) >> 128n);
    shardOfCustomer.set(userId, index);
  }
  return index;
}

/** One stream record as the event-source mapping hands it to Lambda; it arrived a second after it happened. */
function toRecord(shardId: string, position: number, item: SourceEvent): KinesisStreamRecord {
  const sequenceNumber = String(49_000_000_000_000_000n + BigInt(position));
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: partitionKeyFor(item.event.user_id),
      sequenceNumber,
      data: Buffer.from(item.line, 'utf8').toString('base64'),
      approximateArrivalTimestamp: Date.parse(item.event.ts) / 1000 + 1,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/feature-processor-role',
    awsRegion: 'eu-west-1',
    eventSourceARN: 'arn:aws:kinesis:eu-west-1:000000000000:stream/bench-events',
  };
}

const shardSources: SourceEvent[][] = shardIds.map(() => []);
for (const item of source) shardSources[shardIndexOf(item.event.user_id)]?.push(item);
const shardRecords = shardSources.map((items, shard) =>
  items.map((item, position) => toRecord(shardIds[shard] ?? 'shardId-unknown', position, item)),
);

/** Each shard's records in invocations of at most `size`, shard after shard. */
function batchesOf(size: number): KinesisStreamRecord[][] {
  const batches: KinesisStreamRecord[][] = [];
  for (const records of shardRecords) {
    for (let first = 0; first < records.length; first += size)
      batches.push(records.slice(first, first + size));
  }
  return batches;
}

const processorBatches = batchesOf(PROCESSOR_MAPPING.batchSize);
const customerDays = new Set(events.map((event) => storedDayKey(event.user_id, dayOf(event.ts)))).size;

// ---------------------------------------------------------------------------------------------
// Measurement

interface Rate {
  /** Median events per CPU-second of this process (GC helper threads included). */
  readonly perCpuSecond: number;
  /** Median events per wall-clock second. */
  readonly perSecond: number;
  readonly lowest: number;
  readonly highest: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Runs `run` `rounds` times; CPU time is steadier than wall time when others load the machine. */
async function measure(run: () => number | Promise<number>): Promise<Rate> {
  const cpuRates: number[] = [];
  const wallRates: number[] = [];
  for (let round = 0; round < rounds; round++) {
    gc?.();
    const cpuBefore = process.cpuUsage();
    const began = performance.now();
    const count = await run();
    const wallSeconds = (performance.now() - began) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    cpuRates.push(count / ((cpu.user + cpu.system) / 1e6));
    wallRates.push(count / wallSeconds);
  }
  return {
    perCpuSecond: Math.round(median(cpuRates)),
    perSecond: Math.round(median(wallRates)),
    lowest: Math.round(Math.min(...cpuRates)),
    highest: Math.round(Math.max(...cpuRates)),
  };
}

/** The processor's `decode`: base64 bytes -> UTF-8 text, undefined for a payload that is not text. */
function decodeText(record: KinesisStreamRecord): string | undefined {
  const bytes = Buffer.from(record.kinesis.data, 'base64');
  const text = bytes.toString('utf8');
  return Buffer.byteLength(text, 'utf8') === bytes.length && !text.includes('\uFFFD') ? text : undefined;
}

/** Decode, validate with `validate`, then group per customer-day and fold with `addEvent`, per invocation. */
function aggregatePath(validate: (text: string) => Event | undefined): number {
  let accepted = 0;
  for (const batch of processorBatches) {
    const groups = new Map<string, DayAggregate>();
    for (const record of batch) {
      const text = decodeText(record);
      const event = text === undefined ? undefined : validate(text);
      if (event === undefined) continue;
      const key = storedDayKey(event.user_id, dayOf(event.ts));
      let day = groups.get(key);
      if (day === undefined) {
        day = emptyDay();
        groups.set(key, day);
      }
      addEvent(day, event);
      accepted++;
    }
  }
  if (accepted !== events.length) throw new Error(`aggregated ${accepted} of ${events.length} events`);
  return accepted;
}

const byParseEventJson = (text: string): Event | undefined => {
  const parsed = parseEventJson(text);
  return parsed.ok ? parsed.event : undefined;
};
const byZod = (text: string): Event | undefined => {
  const parsed = EventSchema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : undefined;
};

// ---------------------------------------------------------------------------------------------
// In-memory stand-ins for the processor's ports. `onCall` lets the memory probe sample the heap
// at the points where the batch's working set is alive.

class MemoryFeatureStore implements FeatureStore<DayAggregate> {
  readonly days = new Map<string, StoredDay<DayAggregate>>();
  writes = 0;
  constructor(private readonly onCall: () => void = () => undefined) {}

  getDays(keys: readonly { userId: string; day: string }[]): Promise<Map<string, StoredDay<DayAggregate>>> {
    this.onCall();
    const found = new Map<string, StoredDay<DayAggregate>>();
    for (const key of keys) {
      const stored = this.days.get(storedDayKey(key.userId, key.day));
      if (stored) found.set(storedDayKey(key.userId, key.day), stored);
    }
    return Promise.resolve(found);
  }

  putDay(day: StoredDay<DayAggregate>, expectedVersion: number): Promise<'written' | 'conflict'> {
    this.onCall();
    const key = storedDayKey(day.userId, day.day);
    if ((this.days.get(key)?.version ?? 0) !== expectedVersion) return Promise.resolve('conflict');
    this.days.set(key, { ...day, version: expectedVersion + 1 });
    this.writes++;
    return Promise.resolve('written');
  }

  queryDays(): Promise<StoredDay<DayAggregate>[]> {
    return Promise.resolve([]);
  }

  getProfile(): Promise<Record<string, unknown> | undefined> {
    return Promise.resolve(undefined);
  }
}

class MemoryJournal implements LakehouseJournal {
  private readonly entries = new Map<string, ShardJournalEntry>();
  writes = 0;
  constructor(private readonly onCall: () => void = () => undefined) {}

  read(shardId: string): Promise<ShardJournalEntry> {
    return Promise.resolve(this.entries.get(shardId) ?? { pendingKeys: [] });
  }

  begin(shardId: string, entry: ShardJournalEntry, keys: readonly string[]): Promise<void> {
    this.onCall();
    this.writes++;
    this.entries.set(shardId, { committedSequence: entry.committedSequence, pendingKeys: [...keys] });
    return Promise.resolve();
  }

  commit(shardId: string, sequenceNumber: string): Promise<void> {
    this.onCall();
    this.writes++;
    this.entries.set(shardId, { committedSequence: sequenceNumber, pendingKeys: [] });
    return Promise.resolve();
  }
}

const discardingLakehouse: LakehouseAppender = {
  plannedKeys: () => [],
  append: () => Promise.resolve(),
  deleteObjects: () => Promise.resolve(),
};

/** An S3 client that answers every command at once without sending it: the Parquet is still encoded. */
function offlineS3(onCall: () => void = () => undefined): S3Client {
  const s3 = new S3Client({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  s3.middlewareStack.add(
    () => () => {
      onCall();
      return Promise.resolve({ output: { $metadata: {} }, response: undefined });
    },
    { step: 'initialize', name: 'benchOfflineS3' },
  );
  return s3;
}

type Counts = Map<string, number>;

function tally(counts: Counts): ProcessorMetrics {
  return { count: (name, value) => counts.set(name, (counts.get(name) ?? 0) + value) };
}

interface UseCase {
  readonly store: MemoryFeatureStore;
  readonly journal: MemoryJournal;
  readonly metrics: Counts;
  readonly processBatch: (event: KinesisStreamEvent) => Promise<{ batchItemFailures: unknown[] }>;
}

/** The real use case on fresh fakes; `parquet` keeps the real lakehouse appender on an offline S3. */
function useCase(parquet: boolean, onCall: () => void = () => undefined): UseCase {
  const store = new MemoryFeatureStore(onCall);
  const journal = new MemoryJournal(onCall);
  const metrics: Counts = new Map();
  const processBatch = makeProcessBatch<DayAggregate>({
    featureStore: store,
    lakehouse: parquet
      ? new S3LakehouseAppender(new S3Lakehouse(offlineS3(onCall), 'bench-lakehouse'))
      : discardingLakehouse,
    journal,
    days: { emptyDay, addEvent, mergeDays, dayOf },
    allowedLatenessMs: ALLOWED_LATENESS_HOURS * 3_600_000,
    metrics: tally(metrics),
  });
  return { store, journal, metrics, processBatch };
}

async function runUseCase(parquet: boolean, batches: readonly KinesisStreamRecord[][]): Promise<UseCase> {
  const run = useCase(parquet);
  for (const Records of batches) {
    const response = await run.processBatch({ Records });
    if (response.batchItemFailures.length > 0) throw new Error('a fake-backed batch reported failures');
  }
  // Counted from the store: the `EventsAccepted` metric is summed across concurrent writes.
  let stored = 0;
  for (const day of run.store.days.values()) stored += day.eventIds.length;
  if (stored !== events.length) throw new Error(`the use case stored ${stored} of ${events.length} events`);
  return run;
}

// ---------------------------------------------------------------------------------------------
// (a) throughput on one core

process.stderr.write(`(a) ${events.length} events, ${rounds} rounds per step\n`);
const decodeOnly = await measure(() => {
  let count = 0;
  for (const batch of processorBatches)
    for (const record of batch) if (decodeText(record) !== undefined) count++;
  return count;
});
const jsonParseOnly = await measure(() => {
  let count = 0;
  for (const batch of processorBatches) {
    for (const record of batch) {
      const text = decodeText(record);
      if (text !== undefined && typeof JSON.parse(text) === 'object') count++;
    }
  }
  return count;
});
const validateOnly = await measure(() => {
  let count = 0;
  for (const batch of processorBatches) {
    for (const record of batch) {
      const text = decodeText(record);
      if (text !== undefined && parseEventJson(text).ok) count++;
    }
  }
  return count;
});
const zodPath = await measure(() => aggregatePath(byZod));
const processorPath = await measure(() => aggregatePath(byParseEventJson));
const useCaseFakes = await measure(async () => {
  await runUseCase(false, processorBatches);
  return events.length;
});
const useCaseParquet = await measure(async () => {
  await runUseCase(true, processorBatches);
  return events.length;
});

// ---------------------------------------------------------------------------------------------
// (c, on fakes) writes by batch size: each put of a day item and each journal write is one
// PutItem request in the DynamoDB adapters (functions/shared/feature-store.ts, lakehouse-journal.ts).

interface WritesAtBatchSize {
  readonly batchSize: number;
  readonly invocations: number;
  readonly dayWritesPer1000: number;
  readonly journalWritesPer1000: number;
  readonly totalPer1000: number;
  /** What one item per customer per invocation would cost instead of one per customer-day. */
  readonly perCustomerItemPer1000: number;
}

const per1000 = (count: number) => Number(((count / events.length) * 1000).toFixed(1));

const writesBySize: WritesAtBatchSize[] = [];
for (const batchSize of WRITE_BATCH_SIZES) {
  const batches = batchesOf(batchSize);
  const run = await runUseCase(false, batches);
  let customerBatches = 0;
  for (const batch of batches)
    customerBatches += new Set(batch.map((record) => record.kinesis.partitionKey)).size;
  writesBySize.push({
    batchSize,
    invocations: batches.length,
    dayWritesPer1000: per1000(run.store.writes),
    journalWritesPer1000: per1000(run.journal.writes),
    totalPer1000: per1000(run.store.writes + run.journal.writes),
    perCustomerItemPer1000: per1000(customerBatches + run.journal.writes),
  });
}

// ---------------------------------------------------------------------------------------------
// (d) memory while one 10,000-record batch of one shard is processed, the input event included.

interface BatchMemory {
  readonly records: number;
  readonly inputMb: number;
  readonly peakHeapMb: number;
  readonly peakRssMb: number;
  readonly retainedMb: number;
}

const mb = (bytes: number) => Number((bytes / 1_048_576).toFixed(1));

async function batchMemory(parquet: boolean): Promise<BatchMemory> {
  const largest = shardSources.reduce((a, b) => (b.length > a.length ? b : a), []);
  const items = largest.slice(0, MEMORY_BATCH);
  const shardId = shardIds[shardSources.indexOf(largest)] ?? 'shardId-unknown';
  // A warm-up batch first, so first-use allocations (JIT, Parquet writer tables) are not counted.
  await useCase(parquet).processBatch({
    Records: items.map((item, index) => toRecord(shardId, index, item)),
  });
  gc?.();
  gc?.();
  const before = process.memoryUsage();
  let peakHeap = before.heapUsed;
  let peakRss = before.rss;
  const sample = () => {
    const now = process.memoryUsage();
    peakHeap = Math.max(peakHeap, now.heapUsed);
    peakRss = Math.max(peakRss, now.rss);
  };
  const run = useCase(parquet, sample);
  const Records = items.map((item, index) => toRecord(shardId, index, item));
  const input = process.memoryUsage().heapUsed - before.heapUsed;
  const response = await run.processBatch({ Records });
  sample();
  if (response.batchItemFailures.length > 0) throw new Error('the memory batch reported failures');
  Records.length = 0;
  gc?.();
  gc?.();
  const after = process.memoryUsage();
  // The fake store still holds the day items written: what the table would hold, not the function.
  if (run.store.days.size === 0) throw new Error('the memory batch wrote nothing');
  return {
    records: items.length,
    inputMb: mb(input),
    peakHeapMb: mb(peakHeap - before.heapUsed),
    peakRssMb: mb(peakRss - before.rss),
    retainedMb: mb(after.heapUsed - before.heapUsed),
  };
}

process.stderr.write(`(d) memory of one ${MEMORY_BATCH}-record batch\n`);
const memoryFakes = await batchMemory(false);
const memoryParquet = await batchMemory(true);

// ---------------------------------------------------------------------------------------------
// (b) end to end through the local cloud, and (c) DynamoDB writes counted on the SDK client.

interface WriteTally {
  dayRequests: number;
  dayItems: number;
  journalRequests: number;
  journalItems: number;
  readonly byCommand: Counts;
}

const WRITE_COMMANDS = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'BatchWriteItemCommand',
  'TransactWriteItemsCommand',
]);

/** Tables an input writes to, with the number of items written to each. */
function writtenItems(input: object): Array<{ table: string; items: number }> {
  if ('TableName' in input && typeof input.TableName === 'string')
    return [{ table: input.TableName, items: 1 }];
  if ('RequestItems' in input && typeof input.RequestItems === 'object' && input.RequestItems !== null) {
    return Object.entries(input.RequestItems).map(([table, requests]) => ({
      table,
      items: Array.isArray(requests) ? requests.length : 0,
    }));
  }
  if ('TransactItems' in input && Array.isArray(input.TransactItems)) {
    const tables = new Map<string, number>();
    for (const item of input.TransactItems) {
      const operation: unknown =
        typeof item === 'object' && item !== null ? Object.values(item)[0] : undefined;
      const table =
        typeof operation === 'object' && operation !== null && 'TableName' in operation
          ? String(operation.TableName)
          : 'unknown';
      tables.set(table, (tables.get(table) ?? 0) + 1);
    }
    return [...tables].map(([table, items]) => ({ table, items }));
  }
  return [];
}

/** Counts every request the client sends, retries included (the middleware sits inside the retry loop). */
function countRequests(client: DynamoDBClient, tables: { feature: string }, into: WriteTally): void {
  client.middlewareStack.add(
    (next, context) => (args) => {
      const command = context.commandName ?? 'unknown';
      into.byCommand.set(command, (into.byCommand.get(command) ?? 0) + 1);
      if (WRITE_COMMANDS.has(command)) {
        for (const { table, items } of writtenItems(args.input)) {
          if (table === tables.feature) {
            into.dayRequests++;
            into.dayItems += items;
          } else {
            into.journalRequests++;
            into.journalItems += items;
          }
        }
      }
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'benchCountRequests' },
  );
}

function nameOf(names: Readonly<Record<string, string>>, id: string): string {
  const name = names[id];
  if (!name) throw new Error(`the local cloud has no resource ${id}`);
  return name;
}

const DRAIN_TIMEOUT_MS = 600_000;
const quiet = { info: () => undefined, error: () => undefined };

process.stderr.write('(b) starting the local platform\n');
const platform = await startLocalPlatform({ apiLogger: quiet, mappingLogger: () => undefined });
let e2e: { seconds: number; publishSeconds: number; invocations: number; committed: number };
let counted: { seconds: number; invocations: number; committed: number; metrics: Counts; writes: WriteTally };
try {
  const { cloud } = platform;
  const mapping = platform.featureProcessor;
  if (!mapping) throw new Error('the local platform started without the feature processor');
  const publisher = new KinesisEventPublisher(
    cloud.clients.kinesis,
    nameOf(cloud.names.streams, eventStream.id),
  );
  process.stderr.write(`(b) publishing ${events.length} events and draining the real feature processor\n`);
  const began = performance.now();
  const published = await publisher.publish(events);
  const publishedAt = performance.now();
  if (published.failed.length > 0)
    throw new Error(`${published.failed.length} events not published: ${published.failed[0]?.error}`);
  await mapping.drain({ timeoutMs: DRAIN_TIMEOUT_MS });
  const drainedAt = performance.now();
  e2e = {
    seconds: (drainedAt - began) / 1000,
    publishSeconds: (publishedAt - began) / 1000,
    invocations: mapping.stats.invocations,
    committed: mapping.stats.recordsCommitted,
  };
  if (e2e.committed < events.length)
    throw new Error(`the feature processor committed ${e2e.committed} of ${events.length} records`);
  await mapping.stop();

  // The same stream read again from the start by a processor with counted clients and its own
  // tables and bucket, on the platform's mapping settings.
  process.stderr.write('(c) reading the stream again with counted DynamoDB clients\n');
  const names = localResourceNames('churn-bench');
  await createLocalResources(cloud.clients, names);
  const writes: WriteTally = {
    dayRequests: 0,
    dayItems: 0,
    journalRequests: 0,
    journalItems: 0,
    byCommand: new Map(),
  };
  const dynamodb = createDynamoDbClient(cloud.endpoints);
  const s3 = createS3Client(cloud.endpoints);
  const settings = {
    featureTable: nameOf(names.tables, featureTable.id),
    operationsTable: nameOf(names.tables, operationsTable.id),
    lakehouseBucket: nameOf(names.buckets, lakehouseBucket.id),
    dailyItemTtlDays: 120,
    allowedLatenessHours: ALLOWED_LATENESS_HOURS,
  };
  countRequests(dynamodb, { feature: settings.featureTable }, writes);
  const metrics: Counts = new Map();
  const processBatch = createProcessBatch(
    settings,
    { documents: createDocumentClient(dynamodb), s3 },
    { metrics: tally(metrics) },
  );
  const second = featureProcessorMapping(cloud, processBatch, { logger: () => undefined });
  try {
    const secondBegan = performance.now();
    await second.start();
    await second.drain({ timeoutMs: DRAIN_TIMEOUT_MS });
    counted = {
      seconds: (performance.now() - secondBegan) / 1000,
      invocations: second.stats.invocations,
      committed: second.stats.recordsCommitted,
      metrics,
      writes,
    };
    if (counted.committed < events.length)
      throw new Error(`the counted processor committed ${counted.committed} of ${events.length} records`);
  } finally {
    await second.stop();
    dynamodb.destroy();
    s3.destroy();
  }
} finally {
  await platform.stop();
}

// ---------------------------------------------------------------------------------------------
// Report

const loadAtEnd = loadavg()[0] ?? 0;
const cores = availableParallelism();
const count = (value: number) => Math.round(value).toLocaleString('en-US');
const rate = (value: Rate) =>
  `${count(value.perCpuSecond).padStart(9)} /CPU-s   wall ${count(value.perSecond).padStart(9)}/s   rounds ${count(value.lowest)}-${count(value.highest)}`;
const e2eRate = events.length / e2e.seconds;
const countedRate = events.length / counted.seconds;
const realWrites = counted.writes.dayRequests + counted.writes.journalRequests;
const realWritesPer1000 = per1000(realWrites);
const failedCustomerDays = counted.metrics.get('FailedCustomerDays') ?? 0;
const conflicts = counted.metrics.get('DayItemConflicts') ?? 0;
const at1000 = writesBySize.find((row) => row.batchSize === 1000);
const eventsPerCustomerDay = events.length / customerDays;
const readCommands = [...counted.writes.byCommand]
  .filter(([command]) => !WRITE_COMMANDS.has(command))
  .map(([command, calls]) => `${command.replace(/Command$/, '')} ${count(calls)}`)
  .join(', ');

const sections: Array<[string, Array<[string, string]>]> = [
  [
    `(a) one core, ${shardCount} shards in invocations of ${PROCESSOR_MAPPING.batchSize} records, median of ${rounds} rounds`,
    [
      ['base64 -> UTF-8 text (floor)', rate(decodeOnly)],
      ['+ JSON.parse only (reference)', rate(jsonParseOnly)],
      ['+ parseEventJson (no aggregation)', rate(validateOnly)],
      ['decode + zod EventSchema + group + addEvent (ref.)', rate(zodPath)],
      [
        'decode + parseEventJson + group + addEvent',
        `${rate(processorPath)}   <- goal ${count(GOAL_EVENTS_PER_S)}`,
      ],
      ['makeProcessBatch, all ports faked', rate(useCaseFakes)],
      ['makeProcessBatch, real Parquet appender, S3 offline', rate(useCaseParquet)],
    ],
  ],
  [
    `(b) end to end on the local cloud (kinesalite, dynalite, s3rver in this process), ${shardCount} shards`,
    [
      [
        'publish + real processor until drained',
        `${count(e2eRate)} events/s (${e2e.seconds.toFixed(1)} s; publishing alone ${e2e.publishSeconds.toFixed(1)} s)`,
      ],
      [
        'invocations',
        `${count(e2e.invocations)}, ${count(e2e.committed / Math.max(1, e2e.invocations))} records each on average`,
      ],
      [
        'createProcessBatch, stream already full',
        `${count(countedRate)} events/s (${counted.seconds.toFixed(1)} s, ${count(counted.invocations)} invocations of ${count(counted.committed / Math.max(1, counted.invocations))} records)`,
      ],
      [
        'records committed',
        `real processor ${count(e2e.committed)}, counted pass ${count(counted.committed)} (of ${count(events.length)}); counted pass: ${count(failedCustomerDays)} failed customer-days, ${count(conflicts)} write conflicts`,
      ],
    ],
  ],
  [
    `(c) DynamoDB writes per 1,000 events (goal ${GOAL_WRITES_PER_1000} or fewer)`,
    [
      [
        'counted on the SDK client, platform mapping (1000)',
        `${realWritesPer1000} = day items ${per1000(counted.writes.dayRequests)} + journal ${per1000(counted.writes.journalRequests)} (item writes ${per1000(counted.writes.dayItems + counted.writes.journalItems)})`,
      ],
      ['other requests of that pass', readCommands || 'none'],
      ...writesBySize.map((row): [string, string] => [
        `fakes, batch size ${row.batchSize}`,
        `${row.totalPer1000} = day items ${row.dayWritesPer1000} + journal ${row.journalWritesPer1000} (${count(row.invocations)} invocations; one item per customer per invocation would be ${row.perCustomerItemPer1000})`,
      ]),
      [
        'floor of one item per customer-day',
        `${per1000(customerDays)} (${count(customerDays)} customer-days; ${eventsPerCustomerDay.toFixed(2)} events per customer-day)`,
      ],
      [
        'goal met?',
        realWritesPer1000 <= GOAL_WRITES_PER_1000
          ? 'yes'
          : `no: every customer-day in an invocation is one conditional PutItem, and the simulator's customers produce ${eventsPerCustomerDay.toFixed(1)} events a day, so no batch size brings it under ${per1000(customerDays)}`,
      ],
    ],
  ],
  [
    `(d) memory of one ${count(memoryParquet.records)}-record batch (above a full GC before it; heap garbage included; RSS grows only past the heap already reserved)`,
    [
      [
        'real Parquet appender, S3 offline',
        `peak heap +${memoryParquet.peakHeapMb} MB, peak RSS +${memoryParquet.peakRssMb} MB, input event ${memoryParquet.inputMb} MB, kept by the fake store ${memoryParquet.retainedMb} MB`,
      ],
      [
        'all ports faked',
        `peak heap +${memoryFakes.peakHeapMb} MB, peak RSS +${memoryFakes.peakRssMb} MB, input event ${memoryFakes.inputMb} MB, kept by the fake store ${memoryFakes.retainedMb} MB`,
      ],
    ],
  ],
  [
    'run',
    [
      [
        'data',
        `${count(customers)} customers x ${days} days from ${start}, seed ${seed}: ${count(events.length)} events`,
      ],
      [
        'machine',
        `${cores} cores; 1-minute load ${loadAtStart.toFixed(2)} at start, ${loadAtEnd.toFixed(2)} at end${Math.max(loadAtStart, loadAtEnd) > cores * 0.5 ? ' (others are using the machine: figures are noisy)' : ''}`,
      ],
    ],
  ],
];

for (const [title, rows] of sections) process.stdout.write(`\n${title}\n${formatRows(rows)}\n`);
process.stdout.write('\n');
process.stdout.write(
  `${JSON.stringify({
    bench: 'features',
    events_per_s_core: processorPath.perCpuSecond,
    e2e_events_per_s: Math.round(e2eRate),
    ddb_writes_per_1000_events: realWritesPer1000,
    batch_memory_mb: memoryParquet.peakHeapMb,
    goals: { events_per_s_core: GOAL_EVENTS_PER_S, ddb_writes_per_1000_events: GOAL_WRITES_PER_1000 },
    reference: {
      decode_events_per_s_core: decodeOnly.perCpuSecond,
      json_parse_events_per_s_core: jsonParseOnly.perCpuSecond,
      parse_event_json_events_per_s_core: validateOnly.perCpuSecond,
      zod_path_events_per_s_core: zodPath.perCpuSecond,
      events_per_s_core_wall: processorPath.perSecond,
      use_case_fakes_events_per_s_core: useCaseFakes.perCpuSecond,
      use_case_parquet_events_per_s_core: useCaseParquet.perCpuSecond,
      e2e_counted_pass_events_per_s: Math.round(countedRate),
      e2e_invocations: e2e.invocations,
      ddb_day_item_writes_per_1000_events: per1000(counted.writes.dayRequests),
      ddb_journal_writes_per_1000_events: per1000(counted.writes.journalRequests),
      ddb_item_writes_per_1000_events: per1000(counted.writes.dayItems + counted.writes.journalItems),
      ddb_writes_per_1000_events_by_batch_size: Object.fromEntries(
        writesBySize.map((row) => [row.batchSize, row.totalPer1000]),
      ),
      ddb_writes_per_1000_one_item_per_customer_by_batch_size: Object.fromEntries(
        writesBySize.map((row) => [row.batchSize, row.perCustomerItemPer1000]),
      ),
      ddb_writes_per_1000_fakes_batch_1000: at1000?.totalPer1000,
      customer_day_floor_per_1000_events: per1000(customerDays),
      events_per_customer_day: Number(eventsPerCustomerDay.toFixed(2)),
      batch_memory_fakes_only_mb: memoryFakes.peakHeapMb,
      batch_memory_rss_mb: memoryParquet.peakRssMb,
      batch_input_mb: memoryParquet.inputMb,
    },
    customers,
    days,
    events: events.length,
    load_avg_1m: [Number(loadAtStart.toFixed(2)), Number(loadAtEnd.toFixed(2))],
    cores,
  })}\n`,
);
