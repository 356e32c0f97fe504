import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type KinesisClient,
  ProvisionedThroughputExceededException,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createKinesisClient } from '../../functions/shared/clients.js';
import {
  KinesisEventSourceMapping,
  type KinesisEventSourceMappingOptions,
  type MappingLogger,
} from '../../local/cloud/kinesis-event-source.js';
import { type LocalCloud, startLocalCloud } from '../../local/cloud/local-cloud.js';

interface PutRecord {
  readonly payload: string;
  readonly partitionKey: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
}

/** Sequence numbers by shard, in shard order. */
type ByShard = Record<string, string[]>;

interface Invocation {
  readonly shardId: string;
  readonly sequenceNumbers: string[];
}

const FAILED_BATCH_SCHEMA = z.object({
  requestContext: z.object({
    requestId: z.string().min(1),
    functionArn: z.string(),
    condition: z.literal('RetryAttemptsExhausted'),
    approximateInvokeCount: z.number(),
  }),
  responseContext: z.object({
    statusCode: z.number(),
    executedVersion: z.string(),
    functionError: z.string().optional(),
  }),
  version: z.literal('1.0'),
  timestamp: z.iso.datetime(),
  KinesisBatchInfo: z.object({
    shardId: z.string(),
    startSequenceNumber: z.string(),
    endSequenceNumber: z.string(),
    approximateArrivalOfFirstRecord: z.iso.datetime(),
    approximateArrivalOfLastRecord: z.iso.datetime(),
    batchSize: z.number(),
    streamArn: z.string(),
  }),
});

let cloud: LocalCloud;
let streamName: string;
let mappings: KinesisEventSourceMapping[];
let logs: string[];
const quietLogger: MappingLogger = (level, message) => {
  logs.push(`${level}: ${message}`);
};

beforeEach(async () => {
  cloud = await startLocalCloud();
  const name = cloud.names.streams.EventStream;
  if (!name) throw new Error('the local cloud has no EventStream');
  streamName = name;
  mappings = [];
  logs = [];
});

afterEach(async () => {
  await Promise.all(mappings.map((mapping) => mapping.stop()));
  await cloud.stop();
});

function newMapping(
  options: Omit<KinesisEventSourceMappingOptions, 'kinesis' | 'streamName' | 'functionName'> &
    Partial<Pick<KinesisEventSourceMappingOptions, 'kinesis'>>,
): KinesisEventSourceMapping {
  const mapping = new KinesisEventSourceMapping({
    kinesis: cloud.clients.kinesis,
    streamName,
    functionName: 'ingest-events',
    pollIntervalMs: 20,
    retryDelayMs: 5,
    logger: quietLogger,
    ...options,
  });
  mappings.push(mapping);
  return mapping;
}

/** Puts `count` records, 500 a call, spread over 32 partition keys so both shards get some. */
async function putRecords(
  count: number,
  options: { offset?: number; partitionKey?: (index: number) => string; kinesis?: KinesisClient } = {},
): Promise<PutRecord[]> {
  const offset = options.offset ?? 0;
  const keyOf = options.partitionKey ?? ((index: number) => `customer-${index % 32}`);
  const entries = Array.from({ length: count }, (_, i) => ({
    payload: JSON.stringify({ event: offset + i }),
    partitionKey: keyOf(offset + i),
  }));
  const results: PutRecord[] = [];
  for (let start = 0; start < entries.length; start += 500) {
    const chunk = entries.slice(start, start + 500);
    const output = await (options.kinesis ?? cloud.clients.kinesis).send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: chunk.map((entry) => ({
          Data: Buffer.from(entry.payload),
          PartitionKey: entry.partitionKey,
        })),
      }),
    );
    expect(output.FailedRecordCount ?? 0).toBe(0);
    chunk.forEach((entry, i) => {
      const record = output.Records?.[i];
      if (!record?.ShardId || !record.SequenceNumber) throw new Error(`record ${start + i} was not stored`);
      results.push({ ...entry, shardId: record.ShardId, sequenceNumber: record.SequenceNumber });
    });
  }
  return results;
}

function compareSequences(a: string, b: string): number {
  const difference = BigInt(a) - BigInt(b);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}

function byShard(records: readonly { shardId: string; sequenceNumber: string }[]): ByShard {
  const grouped: ByShard = {};
  for (const record of records) {
    const sequences = grouped[record.shardId] ?? [];
    sequences.push(record.sequenceNumber);
    grouped[record.shardId] = sequences;
  }
  return grouped;
}

/** What each shard must deliver, in order: the sequence numbers PutRecords returned, sorted. */
function expectedByShard(puts: readonly PutRecord[]): ByShard {
  const grouped = byShard(puts);
  for (const sequences of Object.values(grouped)) sequences.sort(compareSequences);
  return grouped;
}

/** The two shards' expected records, lowest shard id first. */
function twoShards(expected: ByShard): [[string, string[]], [string, string[]]] {
  const [first, second, ...rest] = Object.entries(expected).sort(([a], [b]) => a.localeCompare(b));
  if (!first || !second || rest.length > 0) throw new Error('expected records in exactly two shards');
  return [first, second];
}

function shardOfEventId(eventId: string): string {
  const shardId = eventId.split(':')[0];
  if (!shardId) throw new Error(`eventID ${eventId} names no shard`);
  return shardId;
}

function invocationOf(event: KinesisStreamEvent): Invocation {
  const first = event.Records[0];
  if (!first) throw new Error('invoked with an empty batch');
  return {
    shardId: shardOfEventId(first.eventID),
    sequenceNumbers: event.Records.map((record) => record.kinesis.sequenceNumber),
  };
}

function at(list: readonly string[] | undefined, index: number): string {
  const value = list?.[index];
  if (value === undefined) throw new Error(`no record at index ${index}`);
  return value;
}

/** Both shards must hold a fair share, or the per-shard assertions would prove little. */
function expectBothShardsUsed(expected: ByShard, total: number): void {
  const counts = Object.values(expected).map((sequences) => sequences.length);
  expect(counts).toHaveLength(2);
  for (const count of counts) expect(count).toBeGreaterThan(total * 0.25);
}

describe('KinesisEventSourceMapping against the local cloud', () => {
  it('delivers every record once, in shard order, in the Lambda Kinesis event shape', async () => {
    const invocations: Invocation[] = [];
    const events: KinesisStreamEvent[] = [];
    const contexts: Context[] = [];
    const mapping = newMapping({
      batchSize: 25,
      handler: async (event, context) => {
        invocations.push(invocationOf(event));
        events.push(event);
        contexts.push(context);
      },
    });
    await mapping.start();

    const before = Date.now();
    const puts = await putRecords(300);
    const after = Date.now();
    await mapping.drain({ timeoutMs: 15_000 });

    const expected = expectedByShard(puts);
    expectBothShardsUsed(expected, 300);
    const delivered = byShard(
      invocations.flatMap((i) => i.sequenceNumbers.map((s) => ({ shardId: i.shardId, sequenceNumber: s }))),
    );
    expect(delivered).toEqual(expected);
    for (const invocation of invocations) expect(invocation.sequenceNumbers.length).toBeLessThanOrEqual(25);
    // A batch never mixes shards.
    for (const event of events) {
      expect(new Set(event.Records.map((record) => shardOfEventId(record.eventID))).size).toBe(1);
    }

    const putsBySequence = new Map(puts.map((put) => [put.sequenceNumber, put]));
    for (const event of events) {
      expect(Object.keys(event)).toEqual(['Records']);
      for (const record of event.Records) {
        const put = putsBySequence.get(record.kinesis.sequenceNumber);
        if (!put) throw new Error(`delivered a record that was never put: ${record.kinesis.sequenceNumber}`);
        expect(record).toEqual({
          kinesis: {
            kinesisSchemaVersion: '1.0',
            partitionKey: put.partitionKey,
            sequenceNumber: put.sequenceNumber,
            data: Buffer.from(put.payload).toString('base64'),
            approximateArrivalTimestamp: expect.any(Number),
          },
          eventSource: 'aws:kinesis',
          eventVersion: '1.0',
          eventID: `${put.shardId}:${put.sequenceNumber}`,
          eventName: 'aws:kinesis:record',
          invokeIdentityArn: expect.stringMatching(/^arn:aws:iam::000000000000:role\/.+/),
          awsRegion: 'eu-west-1',
          eventSourceARN: `arn:aws:kinesis:eu-west-1:000000000000:stream/${streamName}`,
        });
        expect(Buffer.from(record.kinesis.data, 'base64').toString()).toBe(put.payload);
        // Epoch seconds, as Lambda sends them (not milliseconds, not a string).
        expect(record.kinesis.approximateArrivalTimestamp).toBeGreaterThanOrEqual(
          Math.floor(before / 1000) - 1,
        );
        expect(record.kinesis.approximateArrivalTimestamp).toBeLessThanOrEqual(after / 1000 + 1);
      }
    }
    expect(new Set(contexts.map((context) => context.functionName))).toEqual(new Set(['ingest-events']));
    expect(new Set(contexts.map((context) => context.awsRequestId)).size).toBe(contexts.length);
    expect(mapping.stats).toMatchObject({
      invocations: invocations.length,
      recordsDelivered: 300,
      recordsCommitted: 300,
      retries: 0,
      bisections: 0,
    });
    expect(mapping.eventSourceArn).toBe(`arn:aws:kinesis:eu-west-1:000000000000:stream/${streamName}`);
  });

  it('polls shards concurrently: one shard waiting does not hold the other back', async () => {
    const puts = await putRecords(60);
    const expected = expectedByShard(puts);
    const [[slowShard], [fastShard, fastSequences]] = twoShards(expected);
    const fastDelivered: string[] = [];
    let releaseSlow = () => {};
    const fastDone = new Promise<void>((resolve) => {
      releaseSlow = resolve;
    });
    const mapping = newMapping({
      batchSize: 5,
      handler: async (event) => {
        const invocation = invocationOf(event);
        // Serial shard processing would deadlock here and the drain would time out.
        if (invocation.shardId === slowShard) await fastDone;
        if (invocation.shardId === fastShard) {
          fastDelivered.push(...invocation.sequenceNumbers);
          if (fastDelivered.length === fastSequences.length) releaseSlow();
        }
      },
    });
    await mapping.start();
    await mapping.drain({ timeoutMs: 10_000 });
    expect(fastDelivered).toEqual(fastSequences);
    expect(mapping.stats.recordsCommitted).toBe(60);
  });

  describe('ReportBatchItemFailures', () => {
    it('commits records before the lowest failure and retries from it, each record committed once', async () => {
      const puts = await putRecords(200);
      const expected = expectedByShard(puts);
      expectBothShardsUsed(expected, 200);
      const [[shardA, a], [shardB, b]] = twoShards(expected);
      // Mid-batch, at the first record of a batch (nothing to commit), and two in one shard.
      const failOnce = new Set([at(a, 5), at(a, 40), at(b, 0), at(b, 25)]);
      const chosen = failOnce.size;
      const committed: Invocation[] = [];
      const invocations: (Invocation & { failedFrom?: string })[] = [];

      const mapping = newMapping({
        batchSize: 25,
        reportBatchItemFailures: true,
        handler: async (event): Promise<KinesisStreamBatchResponse> => {
          const invocation = invocationOf(event);
          const acknowledged: string[] = [];
          for (const [index, sequenceNumber] of invocation.sequenceNumbers.entries()) {
            if (failOnce.delete(sequenceNumber)) {
              invocations.push({ ...invocation, failedFrom: sequenceNumber });
              committed.push({ shardId: invocation.shardId, sequenceNumbers: acknowledged });
              // Highest first: the mapping must pick the lowest, not the first listed.
              const failed = invocation.sequenceNumbers.slice(index).reverse();
              return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
            }
            acknowledged.push(sequenceNumber);
          }
          invocations.push(invocation);
          committed.push({ shardId: invocation.shardId, sequenceNumbers: acknowledged });
          return { batchItemFailures: [] };
        },
      });
      await mapping.start();
      await mapping.drain({ timeoutMs: 15_000 });

      const committedByShard = byShard(
        committed.flatMap((i) => i.sequenceNumbers.map((s) => ({ shardId: i.shardId, sequenceNumber: s }))),
      );
      expect(committedByShard).toEqual(expected);
      expect(failOnce.size).toBe(0);
      // The retry carries exactly the failed record and the rest of its batch.
      const failures = invocations.filter((invocation) => invocation.failedFrom !== undefined);
      expect(failures).toHaveLength(chosen);
      for (const failure of failures) {
        const position = invocations.indexOf(failure);
        const retry = invocations.slice(position + 1).find((i) => i.shardId === failure.shardId);
        const from = failure.sequenceNumbers.indexOf(failure.failedFrom ?? '');
        expect(retry?.sequenceNumbers).toEqual(failure.sequenceNumbers.slice(from));
      }
      expect(mapping.stats.retries).toBe(chosen);
      expect(mapping.stats.recordsCommitted).toBe(200);
      expect(shardA).not.toBe(shardB);
    });

    it('fails the whole batch when an itemIdentifier is not in the batch', async () => {
      const puts = await putRecords(10, { partitionKey: () => 'one-customer' });
      const invocations: Invocation[] = [];
      const mapping = newMapping({
        batchSize: 10,
        reportBatchItemFailures: true,
        maximumRetryAttempts: 3,
        handler: async (event) => {
          invocations.push(invocationOf(event));
          const last = event.Records.at(-1)?.kinesis.sequenceNumber ?? '';
          // A valid id next to a bogus one: the bogus one must still fail everything.
          if (invocations.length === 1)
            return { batchItemFailures: [{ itemIdentifier: last }, { itemIdentifier: '42' }] };
          if (invocations.length === 2) return { batchItemFailures: [{ itemIdentifier: '' }] };
          return { batchItemFailures: [] };
        },
      });
      await mapping.start();
      await mapping.drain({ timeoutMs: 10_000 });

      const all = puts.map((put) => put.sequenceNumber);
      expect(invocations.map((i) => i.sequenceNumbers)).toEqual([all, all, all]);
      expect(mapping.stats).toMatchObject({ retries: 2, recordsCommitted: 10, discardedRecords: 0 });
    });
  });

  describe.each([
    { bisectBatchOnFunctionError: false, expectedRetries: 3, expectedBisections: 0 },
    { bisectBatchOnFunctionError: true, expectedRetries: 0, expectedBisections: 3 },
  ])(
    'a handler that throws mid-batch (bisect: $bisectBatchOnFunctionError)',
    ({ bisectBatchOnFunctionError, expectedRetries, expectedBisections }) => {
      it('commits every record exactly once, in shard order, counting only successful invocations', async () => {
        const puts = await putRecords(200);
        const expected = expectedByShard(puts);
        expectBothShardsUsed(expected, 200);
        const [[, a], [, b]] = twoShards(expected);
        // In three different batches of 25.
        const throwOnce = new Set([at(a, 10), at(a, 60), at(b, 37)]);
        const committed: Invocation[] = [];
        const mapping = newMapping({
          batchSize: 25,
          bisectBatchOnFunctionError,
          handler: async (event) => {
            const invocation = invocationOf(event);
            const processed: string[] = [];
            for (const sequenceNumber of invocation.sequenceNumbers) {
              if (throwOnce.delete(sequenceNumber))
                throw new Error(`downstream timeout at ${sequenceNumber}`);
              processed.push(sequenceNumber);
            }
            committed.push({ shardId: invocation.shardId, sequenceNumbers: processed });
          },
        });
        await mapping.start();
        await mapping.drain({ timeoutMs: 15_000 });

        const committedByShard = byShard(
          committed.flatMap((i) => i.sequenceNumbers.map((s) => ({ shardId: i.shardId, sequenceNumber: s }))),
        );
        expect(committedByShard).toEqual(expected);
        expect(throwOnce.size).toBe(0);
        expect(mapping.stats).toMatchObject({
          retries: expectedRetries,
          bisections: expectedBisections,
          recordsCommitted: 200,
          discardedRecords: 0,
        });
      });
    },
  );

  it('sends poison records to the on-failure destination after the retries and commits everything else once', async () => {
    const bucket = cloud.names.buckets.LakehouseBucket;
    if (!bucket) throw new Error('the local cloud has no LakehouseBucket');
    const puts = await putRecords(120);
    const expected = expectedByShard(puts);
    expectBothShardsUsed(expected, 120);
    const [[shardA, a], [shardB, b]] = twoShards(expected);
    const poison = new Set([at(a, 7), at(a, 30), at(b, 15)]);
    const committed: Invocation[] = [];
    const poisonInvocations = new Map<string, number>();
    const mapping = newMapping({
      uuid: '5f0c7a1e-0000-4000-8000-00000000e5a1',
      batchSize: 10,
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: 2,
      onFailure: { s3: cloud.clients.s3, bucket },
      handler: async (event) => {
        const invocation = invocationOf(event);
        for (const sequenceNumber of invocation.sequenceNumbers) {
          if (poison.has(sequenceNumber)) {
            poisonInvocations.set(sequenceNumber, (poisonInvocations.get(sequenceNumber) ?? 0) + 1);
            throw new Error(`cannot parse ${sequenceNumber}`);
          }
        }
        committed.push(invocation);
      },
    });
    await mapping.start();
    await mapping.drain({ timeoutMs: 20_000 });

    const failures = await readFailedBatches(cloud.clients.s3, bucket, `aws/lambda/${mapping.uuid}/`);
    const covered: { shardId: string; sequenceNumber: string }[] = [];
    for (const { key, body } of failures) {
      const info = body.KinesisBatchInfo;
      expect(key).toMatch(
        new RegExp(
          `^aws/lambda/${mapping.uuid}/${info.shardId}/\\d{4}/\\d{2}/\\d{2}/\\d{4}-\\d{2}-\\d{2}T\\d{2}\\.\\d{2}\\.\\d{2}-[0-9a-f-]{36}$`,
        ),
      );
      expect(body.requestContext).toMatchObject({
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 3,
      });
      expect(body.requestContext.functionArn).toMatch(/:function:ingest-events$/);
      expect(body.responseContext).toEqual({
        statusCode: 200,
        executedVersion: '$LATEST',
        functionError: 'Unhandled',
      });
      expect(info.streamArn).toBe(`arn:aws:kinesis:eu-west-1:000000000000:stream/${streamName}`);
      const shardSequences = expected[info.shardId] ?? [];
      const inRange = shardSequences.filter(
        (s) =>
          compareSequences(s, info.startSequenceNumber) >= 0 &&
          compareSequences(s, info.endSequenceNumber) <= 0,
      );
      expect(info.batchSize).toBe(inRange.length);
      covered.push(...inRange.map((sequenceNumber) => ({ shardId: info.shardId, sequenceNumber })));
    }
    // Bisection isolates each poison record, so the descriptions name exactly them.
    expect(covered.map((c) => c.sequenceNumber).sort(compareSequences)).toEqual(
      [...poison].sort(compareSequences),
    );
    // Initial invocation, one per halving down to a single record, then two retries of it alone.
    for (const count of poisonInvocations.values()) expect(count).toBeGreaterThanOrEqual(4);

    const committedRecords = committed.flatMap((i) =>
      i.sequenceNumbers.map((s) => ({ shardId: i.shardId, sequenceNumber: s })),
    );
    const notPoison = Object.fromEntries(
      Object.entries(expected).map(([shardId, sequences]) => [
        shardId,
        sequences.filter((s) => !poison.has(s)),
      ]),
    );
    expect(byShard(committedRecords)).toEqual(notPoison);
    // Nothing lost, nothing twice: committed and described records partition the stream.
    const accounted = [...committedRecords, ...covered].map((r) => `${r.shardId}:${r.sequenceNumber}`);
    expect(new Set(accounted).size).toBe(accounted.length);
    expect(new Set(accounted)).toEqual(new Set(puts.map((put) => `${put.shardId}:${put.sequenceNumber}`)));
    expect(mapping.stats).toMatchObject({ onFailureBatches: 3, discardedRecords: 3, recordsCommitted: 117 });
    expect(mapping.checkpoints[shardA]).toEqual({ type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: a.at(-1) });
    expect(mapping.checkpoints[shardB]).toEqual({ type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: b.at(-1) });
  });

  it('skips exhausted batches with a warning when there is no on-failure destination', async () => {
    const puts = await putRecords(4, { partitionKey: () => 'one-customer' });
    let calls = 0;
    const mapping = newMapping({
      batchSize: 10,
      maximumRetryAttempts: 1,
      handler: async () => {
        calls++;
        throw new Error('always');
      },
    });
    await mapping.start();
    await mapping.drain({ timeoutMs: 10_000 });
    expect(calls).toBe(2);
    expect(mapping.stats).toMatchObject({ discardedRecords: 4, onFailureBatches: 0, retries: 1 });
    expect(logs.filter((line) => line.startsWith('warn: skipping records'))).toHaveLength(1);
    const shardId = puts[0]?.shardId ?? '';
    expect(mapping.checkpoints[shardId]).toEqual({
      type: 'AFTER_SEQUENCE_NUMBER',
      sequenceNumber: puts.at(-1)?.sequenceNumber,
    });
  });

  it('resumes after the last committed record when restarted with the same checkpoint file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'esm-checkpoint-'));
    try {
      const checkpointFile = join(dir, 'event-stream.json');
      const puts = await putRecords(200);
      const expected = expectedByShard(puts);
      const firstRun: Invocation[] = [];
      const first = newMapping({
        checkpointFile,
        batchSize: 10,
        handler: async (event) => {
          // Slow enough that the stop lands mid-stream.
          await new Promise((resolve) => setTimeout(resolve, 25));
          firstRun.push(invocationOf(event));
        },
      });
      await first.start();
      const deadline = Date.now() + 10_000;
      while (first.stats.recordsCommitted < 100 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await first.stop();
      const firstCount = firstRun.reduce((sum, i) => sum + i.sequenceNumbers.length, 0);
      expect(firstCount).toBeGreaterThanOrEqual(100);
      expect(firstCount).toBeLessThan(200);
      expect(first.stats.recordsCommitted).toBe(firstCount);

      const saved: unknown = JSON.parse(await readFile(checkpointFile, 'utf8'));
      expect(saved).toEqual({
        version: 1,
        streamName,
        mappingUuid: first.uuid,
        shards: first.checkpoints,
      });

      const secondRun: Invocation[] = [];
      // TRIM_HORIZON: without the checkpoint file this would deliver the first run's records again.
      const second = newMapping({
        checkpointFile,
        batchSize: 10,
        startingPosition: 'TRIM_HORIZON',
        handler: async (event) => {
          secondRun.push(invocationOf(event));
        },
      });
      await second.start();
      expect(second.uuid).toBe(first.uuid);
      await second.drain({ timeoutMs: 10_000 });

      const flat = (run: Invocation[]) =>
        run.flatMap((i) => i.sequenceNumbers.map((s) => ({ shardId: i.shardId, sequenceNumber: s })));
      const firstKeys = new Set(flat(firstRun).map((r) => r.sequenceNumber));
      expect(flat(secondRun).filter((r) => firstKeys.has(r.sequenceNumber))).toEqual([]);
      expect(byShard([...flat(firstRun), ...flat(secondRun)])).toEqual(expected);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('collects records from several PutRecords calls into one batch within the batching window', async () => {
    const oneShard = { partitionKey: () => 'customer-window' };
    const run = async (maximumBatchingWindowSeconds: number, offset: number) => {
      const invocations: Invocation[] = [];
      const mapping = newMapping({
        batchSize: 100,
        maximumBatchingWindowSeconds,
        startingPosition: 'LATEST',
        handler: async (event) => {
          invocations.push(invocationOf(event));
        },
      });
      await mapping.start();
      const puts: PutRecord[] = [];
      for (let call = 0; call < 3; call++) {
        if (call > 0) await new Promise((resolve) => setTimeout(resolve, 150));
        puts.push(...(await putRecords(5, { ...oneShard, offset: offset + call * 5 })));
      }
      await mapping.drain({ timeoutMs: 10_000 });
      await mapping.stop();
      return { invocations, puts };
    };

    const windowed = await run(1, 0);
    expect(windowed.invocations).toEqual([
      { shardId: windowed.puts[0]?.shardId, sequenceNumbers: windowed.puts.map((put) => put.sequenceNumber) },
    ]);
    // The same puts without a window arrive in several batches: the window is what joined them.
    const unwindowed = await run(0, 100);
    expect(unwindowed.invocations.length).toBeGreaterThanOrEqual(3);
    expect(unwindowed.invocations.flatMap((i) => i.sequenceNumbers)).toEqual(
      unwindowed.puts.map((put) => put.sequenceNumber),
    );
  });

  it('backs off and keeps going when GetRecords is throttled', async () => {
    const kinesis = createKinesisClient(cloud.endpoints);
    let throttled = 0;
    kinesis.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetRecordsCommand' && throttled < 4) {
          throttled++;
          throw new ProvisionedThroughputExceededException({
            message: 'Rate exceeded for shard',
            $metadata: {},
          });
        }
        return next(args);
      },
      { step: 'initialize', name: 'throttleGetRecords' },
    );
    try {
      const puts = await putRecords(40);
      const delivered: Invocation[] = [];
      const mapping = newMapping({
        kinesis,
        batchSize: 10,
        handler: async (event) => {
          delivered.push(invocationOf(event));
        },
      });
      await mapping.start();
      await mapping.drain({ timeoutMs: 10_000 });
      expect(throttled).toBe(4);
      expect(mapping.stats.readErrors).toBe(4);
      const flat = delivered.flatMap((i) =>
        i.sequenceNumbers.map((s) => ({ shardId: i.shardId, sequenceNumber: s })),
      );
      expect(byShard(flat)).toEqual(expectedByShard(puts));
    } finally {
      await Promise.all(mappings.map((mapping) => mapping.stop()));
      kinesis.destroy();
    }
  });

  it('rejects options AWS would reject, saying which one', () => {
    const base = { kinesis: cloud.clients.kinesis, streamName, functionName: 'f', handler: async () => {} };
    expect(() => new KinesisEventSourceMapping({ ...base, batchSize: 0 })).toThrow(/batchSize/);
    expect(() => new KinesisEventSourceMapping({ ...base, maximumRetryAttempts: -2 })).toThrow(
      /maximumRetryAttempts/,
    );
    expect(() => new KinesisEventSourceMapping({ ...base, maximumRetryAttempts: 10_001 })).toThrow(
      /maximumRetryAttempts/,
    );
    expect(() => new KinesisEventSourceMapping({ ...base, maximumBatchingWindowSeconds: 301 })).toThrow(
      /maximumBatchingWindowSeconds/,
    );
  });

  it('rejects drain when it times out', async () => {
    await putRecords(3, { partitionKey: () => 'one-customer' });
    const mapping = newMapping({
      handler: async () => {
        throw new Error('never succeeds');
      },
    });
    await mapping.start();
    await expect(mapping.drain({ timeoutMs: 300 })).rejects.toThrow(/drain timed out/);
  });
});

async function readFailedBatches(
  s3: S3Client,
  bucket: string,
  prefix: string,
): Promise<{ key: string; body: z.infer<typeof FAILED_BATCH_SCHEMA> }[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  const keys = (listed.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : []));
  return Promise.all(
    keys.map(async (key) => {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const text = (await object.Body?.transformToString()) ?? '';
      return { key, body: FAILED_BATCH_SCHEMA.parse(JSON.parse(text)) };
    }),
  );
}
