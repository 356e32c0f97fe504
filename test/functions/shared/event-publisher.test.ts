import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  PutRecordsCommand,
  type PutRecordsCommandInput,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  KINESIS_LIMITS,
  KinesisEventPublisher,
  partitionKeyFor,
  planBatches,
} from '../../../functions/shared/event-publisher.js';
import { type LocalCloud, startLocalCloud } from '../../../local/cloud/local-cloud.js';
import type { Event } from '../../../ml/schema/event.js';

function event(index: number, options: { userId?: string; padBytes?: number } = {}): Event {
  return {
    event_id: `e-${index}`,
    user_id: options.userId ?? `u-${index % 37}`,
    ts: '2025-03-01T10:00:00Z',
    type: 'search',
    properties: { query: 'x'.repeat(options.padBytes ?? 5) },
  };
}

function requestBytes(input: PutRecordsCommandInput): number {
  return (input.Records ?? []).reduce(
    (sum, record) => sum + (record.Data?.length ?? 0) + Buffer.byteLength(record.PartitionKey ?? ''),
    0,
  );
}

// Installed at import and removed before the local-cloud tests, which need the real client.
const kinesisMock = mockClient(KinesisClient);

/** A publisher that never really waits and records the delays it was asked for. */
function publisherWithRecordedDelays(options: { maxAttempts?: number } = {}) {
  const delays: number[] = [];
  const publisher = new KinesisEventPublisher(new KinesisClient({ region: 'eu-west-1' }), 'events', {
    maxAttempts: options.maxAttempts ?? 5,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    random: () => 0.5,
    sleep: async (ms) => {
      delays.push(ms);
    },
  });
  return { publisher, delays };
}

describe('KinesisEventPublisher batching', () => {
  afterEach(() => kinesisMock.reset());

  it('splits at 500 records per request', async () => {
    kinesisMock.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => ({
      FailedRecordCount: 0,
      Records: (input.Records ?? []).map((_, index) => ({
        SequenceNumber: String(index),
        ShardId: 'shardId-0',
      })),
    }));
    const { publisher } = publisherWithRecordedDelays();

    const result = await publisher.publish(Array.from({ length: 1201 }, (_, index) => event(index)));

    expect(result).toEqual({ sent: 1201, failed: [] });
    const sizes = kinesisMock
      .commandCalls(PutRecordsCommand)
      .map((call) => call.args[0].input.Records?.length);
    expect(sizes).toEqual([500, 500, 201]);
    const sent = kinesisMock
      .commandCalls(PutRecordsCommand)
      .flatMap((call) => call.args[0].input.Records ?? []);
    expect(sent[0]?.PartitionKey).toBe('u-0');
    expect(JSON.parse(Buffer.from(sent[0]?.Data ?? new Uint8Array()).toString('utf8'))).toEqual(event(0));
  });

  it('splits at 5 MiB per request, and reports a record over 1 MiB as failed without sending it', async () => {
    kinesisMock.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => ({
      FailedRecordCount: 0,
      Records: (input.Records ?? []).map(() => ({ SequenceNumber: '1', ShardId: 'shardId-0' })),
    }));
    const { publisher } = publisherWithRecordedDelays();
    const big = Array.from({ length: 12 }, (_, index) => event(index, { padBytes: 900 * 1024 }));
    const oversize = event(99, { padBytes: KINESIS_LIMITS.bytesPerRecord });

    const result = await publisher.publish([...big.slice(0, 6), oversize, ...big.slice(6)]);

    expect(result.sent).toBe(12);
    expect(result.failed.map((failure) => failure.event.event_id)).toEqual(['e-99']);
    expect(result.failed[0]?.error).toMatch(/Kinesis accepts at most 1,048,576 per record/);
    const requests = kinesisMock.commandCalls(PutRecordsCommand).map((call) => call.args[0].input);
    expect(requests.map((input) => input.Records?.length)).toEqual([5, 5, 2]);
    for (const input of requests)
      expect(requestBytes(input)).toBeLessThanOrEqual(KINESIS_LIMITS.bytesPerRequest);
    expect(
      requests.flatMap((input) => input.Records ?? []).some((record) => record.PartitionKey === 'u-99'),
    ).toBe(false);
  });

  it('plans batches without exceeding either limit', () => {
    const records = [400, 400, 300, 600, 1].map((bytes) => ({ bytes }));

    expect(
      planBatches(records, { recordsPerRequest: 2, bytesPerRequest: 800 }).map((batch) => batch.length),
    ).toEqual([2, 1, 2]);
  });

  it('keys records by customer, hashing ids longer than Kinesis allows', () => {
    expect(partitionKeyFor('u-1')).toBe('u-1');
    const long = 'x'.repeat(300);
    expect(partitionKeyFor(long)).toMatch(/^[0-9a-f]{64}$/);
    expect(partitionKeyFor(long)).toBe(partitionKeyFor(long));
  });
});

describe('KinesisEventPublisher retries', () => {
  afterEach(() => kinesisMock.reset());

  it('retries only the entries a response marks as failed, with growing backoff', async () => {
    kinesisMock
      .on(PutRecordsCommand)
      .resolvesOnce({
        FailedRecordCount: 2,
        Records: [
          { SequenceNumber: '1', ShardId: 'shardId-0' },
          { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' },
          { SequenceNumber: '3', ShardId: 'shardId-0' },
          { ErrorCode: 'InternalFailure', ErrorMessage: 'oops' },
        ],
      })
      .resolvesOnce({
        FailedRecordCount: 1,
        Records: [
          { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' },
          { SequenceNumber: '5' },
        ],
      })
      .resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: '6' }] });
    const { publisher, delays } = publisherWithRecordedDelays();

    const result = await publisher.publish([event(0), event(1), event(2), event(3)]);

    expect(result).toEqual({ sent: 4, failed: [] });
    const ids = kinesisMock
      .commandCalls(PutRecordsCommand)
      .map((call) =>
        (call.args[0].input.Records ?? []).map(
          (record) => JSON.parse(Buffer.from(record.Data ?? new Uint8Array()).toString('utf8')).event_id,
        ),
      );
    expect(ids).toEqual([['e-0', 'e-1', 'e-2', 'e-3'], ['e-1', 'e-3'], ['e-1']]);
    // Full jitter at 0.5: half of 100, then half of 200.
    expect(delays).toEqual([50, 100]);
  });

  it('gives up after the configured attempts and reports the last error per event', async () => {
    kinesisMock.on(PutRecordsCommand).resolves({
      FailedRecordCount: 1,
      Records: [{ ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' }],
    });
    const { publisher, delays } = publisherWithRecordedDelays({ maxAttempts: 3 });

    const result = await publisher.publish([event(0)]);

    expect(result.sent).toBe(0);
    expect(result.failed).toEqual([
      { event: event(0), error: 'ProvisionedThroughputExceededException: Rate exceeded (after 3 attempts)' },
    ]);
    expect(kinesisMock.commandCalls(PutRecordsCommand)).toHaveLength(3);
    expect(delays).toEqual([50, 100]);
  });

  it('does not retry an error that waiting cannot fix', async () => {
    kinesisMock
      .on(PutRecordsCommand)
      .rejects(new ResourceNotFoundException({ message: 'Stream events not found', $metadata: {} }));
    const { publisher, delays } = publisherWithRecordedDelays();

    const result = await publisher.publish([event(0), event(1)]);

    expect(result.failed.map((failure) => failure.error)).toEqual([
      'ResourceNotFoundException: Stream events not found',
      'ResourceNotFoundException: Stream events not found',
    ]);
    expect(kinesisMock.commandCalls(PutRecordsCommand)).toHaveLength(1);
    expect(delays).toEqual([]);
  });
});

describe('KinesisEventPublisher against the local cloud', () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    kinesisMock.restore();
    cloud = await startLocalCloud();
  });
  afterAll(() => cloud.stop());

  it('stores every event once, each customer on one shard in order', async () => {
    const stream = cloud.names.streams.EventStream ?? '';
    const publisher = new KinesisEventPublisher(cloud.clients.kinesis, stream);
    const events = Array.from({ length: 1234 }, (_, index) => ({
      ...event(index),
      ts: new Date(Date.UTC(2025, 2, 1) + index * 1000).toISOString(),
    }));

    const result = await publisher.publish(events);

    expect(result).toEqual({ sent: 1234, failed: [] });
    const description = await cloud.clients.kinesis.send(new DescribeStreamCommand({ StreamName: stream }));
    const shards = description.StreamDescription?.Shards ?? [];
    expect(shards.length).toBeGreaterThan(1);
    const seen: Array<{ shard: string; event: Event }> = [];
    for (const shard of shards) {
      const iterator = await cloud.clients.kinesis.send(
        new GetShardIteratorCommand({
          StreamName: stream,
          ShardId: shard.ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      let next = iterator.ShardIterator;
      while (next !== undefined) {
        const page = await cloud.clients.kinesis.send(
          new GetRecordsCommand({ ShardIterator: next, Limit: 1000 }),
        );
        for (const record of page.Records ?? []) {
          seen.push({
            shard: shard.ShardId ?? '',
            event: JSON.parse(Buffer.from(record.Data ?? new Uint8Array()).toString('utf8')),
          });
        }
        next = (page.Records ?? []).length === 0 ? undefined : page.NextShardIterator;
      }
    }

    expect(seen.map((item) => item.event.event_id).sort()).toEqual(
      events.map((item) => item.event_id).sort(),
    );
    const shardsByUser = new Map<string, Set<string>>();
    for (const { shard, event: stored } of seen) {
      const set = shardsByUser.get(stored.user_id) ?? new Set<string>();
      set.add(shard);
      shardsByUser.set(stored.user_id, set);
    }
    for (const set of shardsByUser.values()) expect(set.size).toBe(1);
    const u0 = seen.filter((item) => item.event.user_id === 'u-0').map((item) => item.event.ts);
    expect(u0).toEqual([...u0].sort());
    expect(new Set(seen.map((item) => item.shard)).size).toBeGreaterThan(1);
  });
});
