import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  customerBucket,
  decodeEvents,
  encodeEvents,
  eventFromRow,
  LAKEHOUSE_BUCKETS,
  type LakehouseEventRow,
  mentionsId,
  partitionEvents,
  rawKey,
  S3Lakehouse,
  toEventRow,
} from '../../../functions/shared/lakehouse.js';
import { type LocalCloud, startLocalCloud } from '../../../local/cloud/local-cloud.js';
import type { ImportedProfile } from '../../../ml/import/profiles.js';
import type { Event } from '../../../ml/schema/event.js';

function event(userId: string, ts: string, index: number, properties: Record<string, unknown> = {}): Event {
  return {
    event_id: `e-${userId}-${index}`,
    user_id: userId,
    ts,
    type: 'search',
    properties: { query: `q${index}`, ...properties },
  };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/** Two customers that share no bucket, and a third in the first one's bucket. */
function customersInBuckets(): { alice: string; bob: string; carol: string } {
  const ids = Array.from({ length: 200 }, (_, index) => `cust-${index}`);
  const alice = 'cust-0';
  const bob = ids.find((id) => customerBucket(id) !== customerBucket(alice));
  const carol = ids.find((id) => id !== alice && customerBucket(id) === customerBucket(alice));
  if (bob === undefined || carol === undefined) throw new Error('200 ids should cover two buckets');
  return { alice, bob, carol };
}

describe('pure helpers', () => {
  it('round-trips rows through Parquet, unicode and nested properties included', async () => {
    const rows: LakehouseEventRow[] = [
      toEventRow(
        event('ü-1', '2025-03-01T10:00:00Z', 1, { nested: { deep: [1, { x: 'ß✓😀' }] } }),
        'kinesis',
        {
          shardId: 'shardId-000000000001',
          sequenceNumber: '4960000000000000000000001',
        },
      ),
      toEventRow(event('a-2', '2025-03-01T09:00:00.123Z', 2), 'import'),
      toEventRow(event('a-2', '2025-03-01T08:00:00Z', 3)),
    ];

    const decoded = await decodeEvents(encodeEvents(rows));

    // Sorted by customer, then time.
    expect(decoded.map((row) => row.event_id)).toEqual(['e-a-2-3', 'e-a-2-2', 'e-ü-1-1']);
    expect(decoded).toEqual([rows[2], rows[1], rows[0]]);
    const unicode = decoded[2];
    expect(unicode && eventFromRow(unicode)).toEqual({
      ok: true,
      event: event('ü-1', '2025-03-01T10:00:00Z', 1, { nested: { deep: [1, { x: 'ß✓😀' }] } }),
    });
  });

  it('writes the columns the layout promises', async () => {
    const bytes = encodeEvents([toEventRow(event('u', '2025-03-01T10:00:00Z', 1), 'import')]);
    const [row] = await parquetReadObjects({ file: bytes.slice().buffer });

    expect(Object.keys(row ?? {})).toEqual([
      'event_id',
      'user_id',
      'ts',
      'type',
      'properties',
      'day',
      'source',
      'shard_id',
      'sequence_number',
    ]);
  });

  it('hashes customers into 16 stable buckets (FNV-1a)', () => {
    // FNV-1a 32 of "" is 0x811c9dc5 and of "a" is 0xe40c292c.
    expect(customerBucket('')).toBe(0x811c9dc5 % 16);
    expect(customerBucket('a')).toBe(0xe40c292c % 16);
    const counts = new Array<number>(LAKEHOUSE_BUCKETS).fill(0);
    for (let index = 0; index < 16_000; index++) {
      const bucket = customerBucket(`user-${index}`);
      counts[bucket] = (counts[bucket] ?? 0) + 1;
    }
    for (const count of counts) expect(count).toBeGreaterThan(800);
  });

  it('partitions by UTC day and customer bucket, with two-digit bucket keys', () => {
    const { alice, bob } = customersInBuckets();
    const events = [
      event(alice, '2025-03-01T23:59:59Z', 1),
      event(alice, '2025-03-02T00:00:00Z', 2),
      event(bob, '2025-03-01T12:00:00Z', 3),
      event(alice, '2025-03-01T01:00:00Z', 4),
    ];

    const partitions = partitionEvents(events);

    const a = String(customerBucket(alice)).padStart(2, '0');
    const b = String(customerBucket(bob)).padStart(2, '0');
    expect(
      new Map([...partitions].map(([prefix, group]) => [prefix, group.map((item) => item.event_id)])),
    ).toEqual(
      new Map([
        [`raw/dt=2025-03-01/bucket=${a}/`, [`e-${alice}-1`, `e-${alice}-4`]],
        [`raw/dt=2025-03-02/bucket=${a}/`, [`e-${alice}-2`]],
        [`raw/dt=2025-03-01/bucket=${b}/`, [`e-${bob}-3`]],
      ]),
    );
    expect(rawKey('2025-03-01', 3, 'batch-1')).toBe('raw/dt=2025-03-01/bucket=03/batch-1.parquet');
    expect(() => rawKey('2025-02-30', 3, 'x')).toThrow(
      'day: expected a calendar day YYYY-MM-DD, got "2025-02-30"',
    );
    expect(() => rawKey('2025-03-01', 16, 'x')).toThrow(/bucket: expected a whole number from 0 to 15/);
    expect(() => rawKey('2025-03-01', 1, '../x')).toThrow(/fileName: /);
  });

  it('finds an id only as a whole token', () => {
    expect(mentionsId('{"user_id":"u-1"}', 'u-1')).toBe(true);
    expect(mentionsId('{"user_id":"u-12"}', 'u-1')).toBe(false);
    expect(mentionsId('xu-1', 'u-1')).toBe(false);
  });
});

describe('S3Lakehouse against the local cloud', () => {
  let cloud: LocalCloud;
  let s3: S3Client;
  let bucket: string;

  beforeAll(async () => {
    cloud = await startLocalCloud();
    s3 = cloud.clients.s3;
    bucket = cloud.names.buckets.LakehouseBucket ?? '';
  });
  afterAll(() => cloud.stop());

  let buckets = 0;
  /** A bucket of its own per test, so one test's files never show up in another's reads. */
  async function freshLakehouse(): Promise<{ store: S3Lakehouse; name: string }> {
    buckets += 1;
    const name = `${bucket}-t${buckets}`;
    await s3.send(new CreateBucketCommand({ Bucket: name }));
    return { store: new S3Lakehouse(s3, name), name };
  }

  async function allObjects(name: string): Promise<Map<string, Uint8Array>> {
    const objects = new Map<string, Uint8Array>();
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: name, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        const key = object.Key ?? '';
        const body = await s3.send(new GetObjectCommand({ Bucket: name, Key: key }));
        objects.set(key, (await body.Body?.transformToByteArray()) ?? new Uint8Array());
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return objects;
  }

  /** Every object as text: Parquet decoded to its rows, everything else as UTF-8. */
  async function allContent(name: string): Promise<string> {
    const texts: string[] = [];
    for (const [key, bytes] of await allObjects(name)) {
      texts.push(key);
      if (key.endsWith('.parquet')) texts.push(JSON.stringify(await decodeEvents(bytes)));
      else texts.push(new TextDecoder().decode(bytes));
      // The bytes as well: Parquet statistics and base64 payloads are not in the decoded text.
      texts.push(Buffer.from(bytes).toString('latin1'));
    }
    return texts.join('\n');
  }

  it('writes one object per partition and reads back by day range and bucket', async () => {
    const { store } = await freshLakehouse();
    const { alice, bob } = customersInBuckets();
    const events = [
      event(alice, '2025-03-01T10:00:00Z', 1),
      event(alice, '2025-03-02T10:00:00Z', 2),
      event(alice, '2025-03-03T10:00:00Z', 3),
      event(bob, '2025-03-02T11:00:00Z', 4),
      event(bob, '2025-04-20T11:00:00Z', 5),
    ];

    const written = await store.writeEvents(events, { fileName: 'batch-1', source: 'import' });

    expect(written.rows).toBe(5);
    expect(written.keys).toHaveLength(5);
    expect(written.keys).toContain(rawKey('2025-03-02', customerBucket(bob), 'batch-1'));

    const march2 = await collect(store.readEvents({ fromDay: '2025-03-02', toDay: '2025-03-03' }));
    expect(march2.map((row) => row.event_id).sort()).toEqual([`e-${alice}-2`, `e-${bob}-4`]);

    const aliceOnly = await collect(store.readEvents({ buckets: [customerBucket(alice)] }));
    expect(aliceOnly.map((row) => row.event_id).sort()).toEqual([
      `e-${alice}-1`,
      `e-${alice}-2`,
      `e-${alice}-3`,
    ]);
    expect(aliceOnly.every((row) => row.source === 'import')).toBe(true);

    const openEnded = await collect(store.readEvents({ fromDay: '2025-03-03' }));
    expect(openEnded.map((row) => row.event_id).sort()).toEqual([`e-${alice}-3`, `e-${bob}-5`]);

    const longRange = await store.listRawKeys({
      fromDay: '2024-01-01',
      toDay: '2025-04-01',
      buckets: [customerBucket(bob)],
    });
    expect(longRange).toEqual([rawKey('2025-03-02', customerBucket(bob), 'batch-1')]);
  });

  it('reads a day with more files than one listing holds (s3rver cannot page past 1000 keys)', async () => {
    const { store } = await freshLakehouse();
    const oneCustomerPerBucket = new Map<number, string>();
    for (let index = 0; oneCustomerPerBucket.size < LAKEHOUSE_BUCKETS; index++) {
      const id = `many-${index}`;
      if (!oneCustomerPerBucket.has(customerBucket(id))) oneCustomerPerBucket.set(customerBucket(id), id);
    }
    const batches = 66; // 66 x 16 = 1,056 files on one day
    const customers = [...oneCustomerPerBucket.values()];
    for (let first = 0; first < batches; first += 6) {
      const group = Array.from({ length: Math.min(6, batches - first) }, (_, offset) => first + offset);
      await Promise.all(
        group.map((batch) =>
          store.writeEvents(
            customers.map((id) => event(id, '2025-05-05T10:00:00Z', batch)),
            { fileName: `batch-${batch}` },
          ),
        ),
      );
    }
    await store.writeEvents([event('late', '2025-05-07T10:00:00Z', 1)], { fileName: 'late' });

    const keys = await store.listRawKeys();
    const later = await collect(store.readEvents({ fromDay: '2025-05-06' }));

    expect(keys).toHaveLength(batches * LAKEHOUSE_BUCKETS + 1);
    expect(new Set(keys).size).toBe(keys.length);
    expect(later.map((row) => row.user_id)).toEqual(['late']);
  });

  it('overwrites on a retry with the same file name instead of duplicating', async () => {
    const { store } = await freshLakehouse();
    const { alice, bob } = customersInBuckets();
    const events = [event(alice, '2025-03-01T10:00:00Z', 1), event(bob, '2025-03-01T11:00:00Z', 2)];

    const first = await store.writeEvents(events, { fileName: 'shard-0-seq-1' });
    const retry = await store.writeEvents([...events].reverse(), { fileName: 'shard-0-seq-1' });
    await store.writeEvents([event(alice, '2025-03-01T12:00:00Z', 3)], { fileName: 'shard-0-seq-2' });

    expect(retry.keys).toEqual(first.keys);
    const rows = await collect(store.readEvents());
    expect(rows.map((row) => row.event_id).sort()).toEqual([`e-${alice}-1`, `e-${alice}-3`, `e-${bob}-2`]);
  });

  it('records Kinesis positions per row', async () => {
    const { store } = await freshLakehouse();
    const events = [event('u-1', '2025-03-01T10:00:00Z', 1), event('u-2', '2025-03-01T10:00:00Z', 2)];

    await store.writeEvents(events, {
      fileName: 'kinesis-batch',
      source: 'kinesis',
      positions: [
        { shardId: 'shardId-000000000000', sequenceNumber: '1' },
        { shardId: 'shardId-000000000001', sequenceNumber: '2' },
      ],
    });

    const rows = await collect(store.readEvents());
    expect(rows.map((row) => [row.event_id, row.source, row.shard_id, row.sequence_number]).sort()).toEqual([
      ['e-u-1-1', 'kinesis', 'shardId-000000000000', '1'],
      ['e-u-2-2', 'kinesis', 'shardId-000000000001', '2'],
    ]);
  });

  it('round-trips quarantined records, text and binary payloads, stream and import positions', async () => {
    const { store } = await freshLakehouse();
    const binary = new Uint8Array([0xff, 0x00, 0xfe, 0x7b]);

    const written = await store.writeQuarantine(
      [
        {
          reason: 'ts: expected ISO 8601 UTC timestamp, got "yesterday"',
          payload: '{"user_id":"u-1","ts":"yesterday"}',
          position: {
            kind: 'stream',
            shardId: 'shardId-000000000000',
            sequenceNumber: '49600',
            approximateArrivalTimestamp: 1740823200.5,
          },
          quarantinedAt: new Date('2025-03-01T10:00:01Z'),
        },
        {
          reason: 'event: not valid JSON',
          payload: binary,
          position: { kind: 'import', file: 'events.jsonl', line: 7 },
          quarantinedAt: new Date('2025-03-02T08:00:00Z'),
        },
      ],
      'batch-7',
    );

    expect(written.keys).toEqual([
      'quarantine/dt=2025-03-01/batch-7.jsonl',
      'quarantine/dt=2025-03-02/batch-7.jsonl',
    ]);
    const records = await collect(store.readQuarantine());
    expect(records).toEqual([
      {
        reason: 'ts: expected ISO 8601 UTC timestamp, got "yesterday"',
        payload: '{"user_id":"u-1","ts":"yesterday"}',
        payload_encoding: 'utf8',
        position: {
          kind: 'stream',
          shardId: 'shardId-000000000000',
          sequenceNumber: '49600',
          approximateArrivalTimestamp: '2025-03-01T10:00:00.500Z',
        },
        quarantined_at: '2025-03-01T10:00:01.000Z',
      },
      {
        reason: 'event: not valid JSON',
        payload: Buffer.from(binary).toString('base64'),
        payload_encoding: 'base64',
        position: { kind: 'import', file: 'events.jsonl', line: 7 },
        quarantined_at: '2025-03-02T08:00:00.000Z',
      },
    ]);
    expect(await collect(store.readQuarantine({ fromDay: '2025-03-02' }))).toHaveLength(1);
  });

  it('erases every trace of a customer and leaves the others intact', async () => {
    const { store, name } = await freshLakehouse();
    const { alice, bob, carol } = customersInBuckets();
    const days = ['2025-03-01', '2025-03-02', '2025-03-03'];
    const events = days.flatMap((day, index) => [
      event(alice, `${day}T10:00:00Z`, index),
      event(bob, `${day}T10:00:00Z`, index),
      ...(index === 0 ? [] : [event(carol, `${day}T11:00:00Z`, index)]),
    ]);
    await store.writeEvents(events, { fileName: 'batch-1', source: 'import' });
    await store.writeQuarantine(
      [
        {
          reason: 'ts: bad',
          payload: JSON.stringify({ user_id: alice, ts: 'bad' }),
          position: { kind: 'import', file: 'f.jsonl', line: 1 },
        },
        {
          reason: 'json: not valid JSON',
          // Not JSON and not UTF-8: only found by decoding the base64 payload.
          payload: Buffer.concat([Buffer.from([0xff]), Buffer.from(`user=${alice};`)]),
          position: { kind: 'import', file: 'f.jsonl', line: 2 },
        },
        {
          reason: 'ts: bad',
          payload: JSON.stringify({ user_id: bob, ts: 'bad' }),
          position: { kind: 'import', file: 'f.jsonl', line: 3 },
        },
      ],
      'q-1',
    );
    const profile = (userId: string, referredBy?: string): ImportedProfile => ({
      user_id: userId,
      ...(referredBy === undefined ? {} : { referred_by: referredBy }),
      attributes: { tenure: 3, plan: 'basic' },
    });
    await store.writeProfiles('crm', [profile(alice), profile(bob, alice)], 'p-1');
    await store.writeProfiles('crm', [profile(alice)], 'p-only-alice');
    await store.writeLabels(
      'crm',
      [
        { user_id: alice, as_of: '2025-04-01T00:00:00Z', churned: false, churn_date: null },
        { user_id: bob, as_of: '2025-04-01T00:00:00Z', churned: true, churn_date: '2025-03-20T00:00:00Z' },
      ],
      'l-1',
    );
    expect(await allContent(name)).toContain(alice);

    const result = await store.eraseCustomer(alice);

    // 3 raw files of alice's bucket (carol shares two of them), quarantine, 2 profile files, labels.
    expect(result).toEqual({ filesRewritten: 7, filesDeleted: 2, rowsRemoved: 3 + 2 + 2 + 1 });
    expect(await allContent(name)).not.toContain(alice);

    const remaining = await collect(store.readEvents());
    expect(remaining.filter((row) => row.user_id === bob)).toHaveLength(3);
    expect(remaining.filter((row) => row.user_id === carol)).toHaveLength(2);
    expect(await collect(store.readProfiles('crm'))).toEqual([{ ...profile(bob), referred_by: null }]);
    expect((await collect(store.readLabels('crm'))).map((label) => label.user_id)).toEqual([bob]);
    expect((await collect(store.readQuarantine())).map((record) => record.payload)).toEqual([
      JSON.stringify({ user_id: bob, ts: 'bad' }),
    ]);

    expect(await store.eraseCustomer(alice)).toEqual({ filesRewritten: 0, filesDeleted: 0, rowsRemoved: 0 });
  });
});
