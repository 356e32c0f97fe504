import { describe, expect, it } from 'vitest';
import {
  customerBucket,
  type EventQuery,
  type LakehouseEventRow,
  toEventRow,
} from '../../../functions/shared/lakehouse.js';
import type { SnapshotManifest, SnapshotRecord } from '../../../functions/shared/snapshot-store.js';
import {
  type BucketSnapshotSummary,
  defaultObservedUntil,
  makeBuildSnapshot,
  makeWriteSnapshotManifest,
  parseSnapshotInput,
  SnapshotInputError,
  type SnapshotSource,
} from '../../../functions/snapshot/build-snapshot.js';
import type { ImportedLabel } from '../../../ml/import/labels.js';
import type { ImportedProfile } from '../../../ml/import/profiles.js';
import { type Event, parseEvent } from '../../../ml/schema/index.js';

const AS_OF = '2025-03-01';
const NOW = new Date('2025-06-01T08:00:00Z');

let sequence = 0;
function event(
  user: string,
  ts: string,
  type: Event['type'],
  properties: Record<string, unknown> = {},
): Event {
  const parsed = parseEvent({ event_id: `e-${++sequence}`, user_id: user, ts, type, properties });
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.event;
}

/** Customer ids that share one hash bucket, so one build sees all of them. */
function idsInOneBucket(count: number): { bucket: number; ids: string[] } {
  const byBucket = new Map<number, string[]>();
  for (let index = 0; ; index++) {
    const id = `c-${index}`;
    const bucket = customerBucket(id);
    const ids = byBucket.get(bucket) ?? [];
    ids.push(id);
    byBucket.set(bucket, ids);
    if (ids.length === count) return { bucket, ids };
  }
}

/** An in-memory lakehouse: rows in key order (day by day), as the S3 reader yields them. */
class FakeLakehouse implements SnapshotSource {
  readonly queries: EventQuery[] = [];
  constructor(
    private readonly rows: LakehouseEventRow[],
    private readonly profiles: ImportedProfile[] = [],
    private readonly labels: ImportedLabel[] = [],
  ) {}

  async *readEvents(query: EventQuery): AsyncGenerator<LakehouseEventRow> {
    this.queries.push(query);
    const sorted = [...this.rows].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
    for (const row of sorted) {
      if (
        (query.fromDay === undefined || row.day >= query.fromDay) &&
        (query.toDay === undefined || row.day < query.toDay)
      ) {
        yield row;
      }
    }
  }

  async *readProfiles(): AsyncGenerator<ImportedProfile> {
    yield* this.profiles;
  }

  async *readLabels(): AsyncGenerator<ImportedLabel> {
    yield* this.labels;
  }
}

class MemoryWriter {
  readonly written = new Map<number, readonly SnapshotRecord[]>();
  async writeBucket(snapshot: { bucket: number; records: readonly SnapshotRecord[] }): Promise<string> {
    this.written.set(snapshot.bucket, snapshot.records);
    return `memory/bucket=${snapshot.bucket}`;
  }
}

/** A monthly subscriber who renews on the 10th and watches now and then. */
function subscriber(user: string): Event[] {
  return [
    event(user, '2025-01-10T04:00:00Z', 'subscription_renewed', { paid_until: '2025-02-10T00:00:00.000Z' }),
    event(user, '2025-02-10T04:00:00Z', 'subscription_renewed', { paid_until: '2025-03-10T00:00:00.000Z' }),
    event(user, '2025-02-20T20:00:00Z', 'session_start', { device: 'smart_tv', minutes: 40 }),
    event(user, '2025-03-10T04:00:00Z', 'subscription_renewed', { paid_until: '2025-04-10T00:00:00.000Z' }),
    event(user, '2025-04-10T04:00:00Z', 'subscription_renewed', { paid_until: '2025-05-10T00:00:00.000Z' }),
  ];
}

describe('parseSnapshotInput', () => {
  it('accepts a Map iteration input', () => {
    expect(parseSnapshotInput({ asOf: AS_OF, horizonDays: 30, bucket: 7, profilesDataset: 'sim' })).toEqual({
      asOf: AS_OF,
      horizonDays: 30,
      bucket: 7,
      profilesDataset: 'sim',
    });
  });

  it('names every broken field and its rule in a SnapshotInputError', () => {
    let caught: unknown;
    try {
      parseSnapshotInput({
        asOf: '2025-02-30',
        horizonDays: 1.5,
        bucket: 16,
        profilesDataset: '../x',
        extra: 1,
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SnapshotInputError);
    const message = caught instanceof Error ? caught.message : '';
    expect(caught).toMatchObject({ name: 'SnapshotInputError', code: 'SnapshotInputError', statusCode: 400 });
    expect(message).toContain('asOf: not a calendar day, got "2025-02-30"');
    expect(message).toContain('horizonDays: expected integer');
    expect(message).toContain('bucket: must be <= 15');
    expect(message).toContain("profilesDataset: expected 1-100 letters, digits, '.', '_' or '-'");
    expect(message).toContain('unexpected key extra');
  });

  it('requires asOf, horizonDays and bucket', () => {
    expect(() => parseSnapshotInput({})).toThrow(/asOf: required.*horizonDays: required.*bucket: required/s);
  });
});

describe('defaultObservedUntil', () => {
  it('is the end of the window plus the grace period, but never after today', () => {
    expect(defaultObservedUntil({ asOf: AS_OF, horizonDays: 30 }, NOW)).toBe('2025-04-30');
    expect(defaultObservedUntil({ asOf: '2025-05-20', horizonDays: 30 }, NOW)).toBe('2025-06-01');
  });
});

describe('makeBuildSnapshot', () => {
  it('reads the lookback and the label window of its bucket, and counts what it could not use', async () => {
    const { bucket, ids } = idsInOneBucket(3);
    const [stays, leaves, broken] = ids as [string, string, string];
    const duplicated = event(stays, '2025-02-21T20:00:00Z', 'play', {
      content_id: 'c-1',
      genre: 'drama',
      minutes: 30,
      completion: 0.9,
    });
    const rows = [
      ...subscriber(stays).map((item) => toEventRow(item, 'import')),
      toEventRow(duplicated, 'import'),
      toEventRow(duplicated, 'kinesis'),
      ...[
        event(leaves, '2025-02-01T04:00:00Z', 'subscription_renewed', {
          paid_until: '2025-03-01T00:00:00.000Z',
        }),
        event(leaves, '2025-02-15T12:00:00Z', 'subscription_cancelled', {
          paid_until: '2025-03-01T00:00:00.000Z',
        }),
        event(leaves, '2025-02-16T12:00:00Z', 'session_start', { device: 'web', minutes: 5 }),
      ].map((item) => toEventRow(item)),
      {
        ...toEventRow(event(broken, '2025-02-10T10:00:00Z', 'search', { query: 'x' })),
        properties: '{not json',
      },
    ];
    const lakehouse = new FakeLakehouse(rows);
    const writer = new MemoryWriter();

    const summary = await makeBuildSnapshot({ lakehouse, writer, now: () => NOW })({
      asOf: AS_OF,
      horizonDays: 30,
      bucket,
    });

    expect(lakehouse.queries).toEqual([{ fromDay: '2024-12-01', toDay: '2025-04-30', buckets: [bucket] }]);
    expect(summary).toMatchObject({
      bucket,
      customers: 2,
      positives: 1,
      negatives: 1,
      unknownLabels: 0,
      key: `memory/bucket=${bucket}`,
      observedUntil: '2025-04-30',
      eventsRead: rows.length,
      eventsSkipped: 1,
      duplicatesDropped: 1,
    });
    const records = writer.written.get(bucket) ?? [];
    expect(records.map((record) => [record.user_id, record.label, record.churn_date])).toEqual([
      [stays, 0, null],
      [leaves, 1, '2025-03-01T00:00:00.000Z'],
    ]);
    // The duplicated play counts once.
    expect(records[0]?.features.plays_30d).toBe(1);
  });

  it('lets imported labels win and joins complete profiles of its bucket only', async () => {
    const { bucket, ids } = idsInOneBucket(2);
    const [first, second] = ids as [string, string];
    const other = Array.from({ length: 100 }, (_, index) => `o-${index}`).find(
      (id) => customerBucket(id) !== bucket,
    );
    const profile = (user: string): ImportedProfile => ({
      user_id: user,
      registered_at: '2024-06-01T00:00:00Z',
      plan: 'premium',
      monthly_price: 17.99,
      channel: 'partner_promo',
      country: 'DE',
      device: 'smart_tv',
      manager_id: 'm-1',
      referred_by: null,
      attributes: {},
    });
    const lakehouse = new FakeLakehouse(
      [...subscriber(first), ...subscriber(second)].map((item) => toEventRow(item)),
      [profile(first), { user_id: second, attributes: { segment: 'x' } }, profile(other ?? 'o-x')],
      [{ user_id: second, as_of: '2025-06-01T00:00:00Z', churned: true, churn_date: '2025-03-15T00:00:00Z' }],
    );
    const writer = new MemoryWriter();

    const summary = await makeBuildSnapshot({ lakehouse, writer, now: () => NOW })({
      asOf: AS_OF,
      horizonDays: 30,
      bucket,
      profilesDataset: 'crm',
      labelsDataset: 'crm',
    });

    expect(summary).toMatchObject({
      customers: 2,
      positives: 1,
      negatives: 1,
      profilesJoined: 1,
      profilesIncomplete: 1,
      labelsImported: 1,
    });
    const records = new Map((writer.written.get(bucket) ?? []).map((record) => [record.user_id, record]));
    expect(records.get(first)?.features.channel).toBe('partner_promo');
    expect(records.get(second)?.features.channel).toBe('unknown');
    expect(records.get(second)).toMatchObject({ label: 1, churn_date: '2025-03-15T00:00:00Z' });
  });

  it('leaves labels unknown when the events do not reach the end of the grace period', async () => {
    const { bucket, ids } = idsInOneBucket(1);
    const lakehouse = new FakeLakehouse(subscriber(ids[0] ?? '').map((item) => toEventRow(item)));
    const writer = new MemoryWriter();

    const summary = await makeBuildSnapshot({ lakehouse, writer, now: () => NOW })({
      asOf: AS_OF,
      horizonDays: 60,
      bucket,
      observedUntil: '2025-04-05',
    });

    // Paid until 2025-04-10 as far as the events show, inside the window, whose end they do not reach.
    expect(summary).toMatchObject({ customers: 1, unknownLabels: 1, observedUntil: '2025-04-05' });
  });

  it('rejects an asOf after today and an observation limit not after asOf', async () => {
    const build = makeBuildSnapshot({
      lakehouse: new FakeLakehouse([]),
      writer: new MemoryWriter(),
      now: () => NOW,
    });

    await expect(build({ asOf: '2025-06-02', horizonDays: 30, bucket: 0 })).rejects.toThrow(
      'asOf: must not be after today (2025-06-01), got "2025-06-02"',
    );
    await expect(
      build({ asOf: AS_OF, horizonDays: 30, bucket: 0, observedUntil: AS_OF }),
    ).rejects.toBeInstanceOf(SnapshotInputError);
  });
});

describe('makeWriteSnapshotManifest', () => {
  const summary = (bucket: number, customers: number, positives: number, observedUntil = '2025-04-30') =>
    ({
      bucket,
      customers,
      positives,
      negatives: customers - positives - 1,
      unknownLabels: 1,
      key: `snapshots/as_of=${AS_OF}/horizon=30/bucket=${String(bucket).padStart(2, '0')}.parquet`,
      observedUntil,
      eventsRead: 0,
      eventsSkipped: 0,
      duplicatesDropped: 0,
      profilesJoined: 0,
      profilesIncomplete: 0,
      labelsImported: 0,
    }) satisfies BucketSnapshotSummary;

  it('adds up the buckets and lists their files in bucket order', async () => {
    let stored: SnapshotManifest | undefined;
    const write = makeWriteSnapshotManifest({
      store: {
        writeManifest: async (manifest) => {
          stored = manifest;
          return 'manifest-key';
        },
      },
      now: () => NOW,
    });

    const { key, manifest } = await write({
      asOf: AS_OF,
      horizonDays: 30,
      summaries: [summary(5, 10, 2), summary(1, 20, 3)],
    });

    expect(key).toBe('manifest-key');
    expect(stored).toEqual(manifest);
    expect(manifest).toMatchObject({
      as_of: AS_OF,
      horizon_days: 30,
      grace_days: 30,
      observed_until: '2025-04-30',
      created_at: NOW.toISOString(),
      complete: false,
      buckets_total: 16,
      counts: { customers: 30, positives: 5, negatives: 23, unknown_labels: 2 },
    });
    expect(manifest.buckets.map((entry) => entry.bucket)).toEqual([1, 5]);
  });

  it('refuses buckets twice, or judged on different observation limits', async () => {
    const write = makeWriteSnapshotManifest({ store: { writeManifest: async () => 'k' } });

    await expect(
      write({ asOf: AS_OF, horizonDays: 30, summaries: [summary(1, 2, 0), summary(1, 2, 0)] }),
    ).rejects.toThrow('summaries: bucket 1 appears twice');
    await expect(
      write({ asOf: AS_OF, horizonDays: 30, summaries: [summary(1, 2, 0), summary(2, 2, 0, '2025-04-29')] }),
    ).rejects.toThrow(/bucket 2 was observed until 2025-04-29, bucket 1 until 2025-04-30/);
  });
});
