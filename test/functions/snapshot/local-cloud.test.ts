import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerBucket, LAKEHOUSE_BUCKETS, S3Lakehouse } from '../../../functions/shared/lakehouse.js';
import {
  ListedRawEvents,
  readSnapshot,
  S3SnapshotStore,
  type SnapshotManifest,
  type SnapshotRecord,
  snapshotBucketKey,
} from '../../../functions/shared/snapshot-store.js';
import {
  type BucketSnapshotSummary,
  makeBuildSnapshot,
  makeWriteSnapshotManifest,
  type SnapshotSource,
  snapshotEventRange,
} from '../../../functions/snapshot/build-snapshot.js';
import { registerSnapshot, type SnapshotIo } from '../../../local/cli/commands/snapshot.js';
import { writeLocalEndpoints } from '../../../local/cli/endpoints-file.js';
import { lambdaContext } from '../../../local/cloud/lambda.js';
import { type LocalCloud, startLocalCloud, useLocalCloudEnv } from '../../../local/cloud/local-cloud.js';
import { addDays, dayOf } from '../../../ml/features/day-aggregate.js';
import { computeFeatures, FEATURE_NAMES } from '../../../ml/features/features.js';
import { graphNeighbours } from '../../../ml/features/graph.js';
import { activitySequence } from '../../../ml/features/sequence.js';
import { historiesFromEvents } from '../../../ml/features/snapshot.js';
import { deriveChurnOutcomes } from '../../../ml/labels/churn-outcomes.js';
import { churnedBefore, windowLabel } from '../../../ml/labels/window-label.js';
import { type Event, type Profile, parseEvent, parseProfileCsvRow } from '../../../ml/schema/index.js';
import { profilesCsv } from '../../../ml/simulate/output.js';
import { INITIAL_HAZARD_SCALE, runSimulationSync } from '../../../ml/simulate/simulation.js';

const START = '2025-01-01';
const DAYS = 100;
const AS_OF_DAY = 40;
const AS_OF = addDays(START, AS_OF_DAY);
const HORIZON = 30;
/** asOf + horizon + 30 grace days: the last simulated day is the day before. */
const OBSERVED_UNTIL = addDays(START, DAYS);
const NOW = new Date('2025-12-31T12:00:00Z');

interface Simulated {
  readonly events: Event[];
  readonly profiles: Profile[];
  /** Simulator truth: customer index data needed to say who was a customer at asOf. */
  readonly customers: { userId: string; arrivalDay: number; churnDay: number }[];
}

function simulate(): Simulated {
  const events: Event[] = [];
  const result = runSimulationSync(
    { customers: 200, days: DAYS, seed: 23, start: START },
    {
      onDay: (day) => {
        for (const line of day.jsonl.toString('latin1').split('\n')) {
          if (line === '') continue;
          const parsed = parseEvent(JSON.parse(line));
          if (!parsed.ok) throw new Error(`simulator wrote an invalid event: ${parsed.reason}`);
          events.push(parsed.event);
        }
      },
    },
    { hazardScale: INITIAL_HAZARD_SCALE },
  );
  const profiles = (parse(profilesCsv(result), { columns: true }) as Record<string, string>[]).map((row) => {
    const parsed = parseProfileCsvRow(row);
    if (!parsed.ok) throw new Error(`simulator wrote an invalid profile: ${parsed.reason}`);
    return parsed.profile;
  });
  return {
    events,
    profiles,
    customers: result.customers.map((customer) => ({
      userId: customer.userId,
      arrivalDay: customer.arrivalDay,
      churnDay: customer.churnDay,
    })),
  };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

const byUser = (a: { user_id: string }, b: { user_id: string }) =>
  a.user_id < b.user_id ? -1 : a.user_id > b.user_id ? 1 : 0;

/**
 * The snapshot computed in one pass over every event in memory, with the pure domain functions:
 * what the fan-out over buckets must reproduce exactly.
 */
function onePass(events: readonly Event[], profiles: readonly Profile[]): SnapshotRecord[] {
  const lookbackStart = addDays(AS_OF, -90);
  const window = events.filter((event) => {
    const day = dayOf(event.ts);
    return day >= lookbackStart && day < OBSERVED_UNTIL;
  });
  const outcomes = deriveChurnOutcomes(window, { observedUntil: OBSERVED_UNTIL, from: AS_OF });
  const records: SnapshotRecord[] = [];
  for (const history of historiesFromEvents(window, profiles, AS_OF)) {
    const outcome = outcomes.get(history.userId);
    const hasDays =
      history.days instanceof Map ? history.days.size > 0 : Object.keys(history.days).length > 0;
    if (!hasDays || churnedBefore(outcome, AS_OF)) continue;
    records.push({
      user_id: history.userId,
      as_of: AS_OF,
      label: windowLabel(outcome === undefined ? undefined : { ...outcome, source: 'derived' }, {
        asOf: AS_OF,
        horizonDays: HORIZON,
      }),
      churn_date: outcome?.churn_date ?? null,
      features: computeFeatures(history, AS_OF),
      activity_sequence: activitySequence(history, AS_OF),
      neighbours: graphNeighbours(history, AS_OF),
    });
  }
  // A profile registered on or after asOf keeps a customer out even if events say otherwise.
  const registered = new Map(profiles.map((profile) => [profile.user_id, dayOf(profile.registered_at)]));
  return records.filter((record) => (registered.get(record.user_id) ?? '') < AS_OF).sort(byUser);
}

describe('point-in-time snapshots on the local cloud', () => {
  let cloud: LocalCloud;
  let bucketName: string;
  let lakehouse: S3Lakehouse;
  let store: S3SnapshotStore;
  let simulated: Simulated;
  let summaries: BucketSnapshotSummary[];
  let manifest: SnapshotManifest;
  let records: SnapshotRecord[];

  /** Every bucket, one after the other, from one listing of the raw files (as `churn snapshot` does). */
  const buildAll = async (): Promise<BucketSnapshotSummary[]> => {
    const listed = await ListedRawEvents.list(
      cloud.clients.s3,
      bucketName,
      snapshotEventRange(AS_OF, OBSERVED_UNTIL),
    );
    const source: SnapshotSource = {
      readEvents: (query) => listed.readEvents(query),
      readProfiles: (dataset) => lakehouse.readProfiles(dataset),
      readLabels: (dataset) => lakehouse.readLabels(dataset),
    };
    const buildSnapshot = makeBuildSnapshot({ lakehouse: source, writer: store, now: () => NOW });
    const built: BucketSnapshotSummary[] = [];
    for (let bucket = 0; bucket < LAKEHOUSE_BUCKETS; bucket++) {
      built.push(await buildSnapshot({ asOf: AS_OF, horizonDays: HORIZON, bucket, profilesDataset: 'sim' }));
    }
    return built;
  };

  beforeAll(async () => {
    cloud = await startLocalCloud();
    bucketName = cloud.names.buckets.LakehouseBucket ?? '';
    lakehouse = new S3Lakehouse(cloud.clients.s3, bucketName);
    store = new S3SnapshotStore(cloud.clients.s3, bucketName);
    simulated = simulate();
    await lakehouse.writeEvents(simulated.events, { fileName: 'simulated', source: 'import' });
    await lakehouse.writeProfiles(
      'sim',
      simulated.profiles.map((profile) => ({ ...profile, attributes: {} })),
      'profiles',
    );

    summaries = await buildAll();
    manifest = (
      await makeWriteSnapshotManifest({ store, now: () => NOW })({
        asOf: AS_OF,
        horizonDays: HORIZON,
        summaries,
      })
    ).manifest;
    records = await collect(readSnapshot(cloud.clients.s3, bucketName, AS_OF, HORIZON));
  }, 240_000);

  afterAll(async () => {
    await cloud?.stop();
  });

  it('puts every customer of asOf in exactly one bucket, their own', async () => {
    const ids = records.map((record) => record.user_id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const summary of summaries) {
      const file = await store.readBucketFile(summary.key);
      expect(file.every((record) => customerBucket(record.user_id) === summary.bucket)).toBe(true);
    }
    // Subscribers at asOf by the simulator's truth: arrived before it, not churned before it.
    const active = simulated.customers.filter(
      (customer) =>
        customer.arrivalDay < AS_OF_DAY && (customer.churnDay < 0 || customer.churnDay >= AS_OF_DAY),
    );
    expect(active.length).toBeGreaterThan(150);
    const present = new Set(ids);
    expect(active.filter((customer) => !present.has(customer.userId))).toEqual([]);
  });

  it('gives the same rows as one pass over all events (features, sequences, neighbours, labels)', () => {
    const expected = onePass(simulated.events, simulated.profiles);

    expect(records.length).toBe(expected.length);
    expect([...records].sort(byUser)).toEqual(expected);
    expect(records.filter((record) => record.label === 1).length).toBeGreaterThan(3);
    expect(records.filter((record) => record.label === 0).length).toBeGreaterThan(100);
  });

  it('computes features from events strictly before asOf only', () => {
    const before = simulated.events.filter((event) => dayOf(event.ts) < AS_OF);
    const histories = new Map(
      historiesFromEvents(before, simulated.profiles, AS_OF).map((history) => [history.userId, history]),
    );
    for (const record of records) {
      const history = histories.get(record.user_id);
      expect(history, record.user_id).toBeDefined();
      if (history !== undefined)
        expect(record.features, record.user_id).toEqual(computeFeatures(history, AS_OF));
    }
  });

  it('labels as the derivation does on the window after asOf', () => {
    const outcomes = deriveChurnOutcomes(simulated.events, { observedUntil: OBSERVED_UNTIL, from: AS_OF });
    for (const record of records) {
      const outcome = outcomes.get(record.user_id);
      const label = windowLabel(outcome === undefined ? undefined : { ...outcome, source: 'derived' }, {
        asOf: AS_OF,
        horizonDays: HORIZON,
      });
      expect([record.label, record.churn_date], record.user_id).toEqual([label, outcome?.churn_date ?? null]);
    }
  });

  it('writes a manifest whose counts add up to the bucket files', async () => {
    const count = (label: 0 | 1 | null) => records.filter((record) => record.label === label).length;

    expect(manifest.complete).toBe(true);
    expect(manifest.observed_until).toBe(OBSERVED_UNTIL);
    expect(manifest.counts).toEqual({
      customers: records.length,
      positives: count(1),
      negatives: count(0),
      unknown_labels: count(null),
    });
    expect(manifest.buckets.map((entry) => entry.key)).toEqual(
      Array.from({ length: LAKEHOUSE_BUCKETS }, (_, bucket) => snapshotBucketKey(AS_OF, HORIZON, bucket)),
    );
    expect(manifest.buckets.reduce((sum, entry) => sum + entry.customers, 0)).toBe(records.length);
    expect(manifest.features.map((feature) => feature.name)).toEqual(FEATURE_NAMES);
    expect(await store.readManifest(AS_OF, HORIZON)).toEqual(manifest);
  });

  it('changes only labels, never features, when events on or after asOf are added', async () => {
    const churner = records.find((record) => record.label === 1 && record.churn_date !== null);
    if (churner === undefined || churner.churn_date === null)
      throw new Error('the snapshot should hold a churner');
    const others = records.filter((record) => record.user_id !== churner.user_id).slice(0, 40);
    const comeBack = new Date(Date.parse(churner.churn_date) + 5 * 86_400_000 + 3_600_000).toISOString();
    const late: Event[] = [
      {
        event_id: `late-${churner.user_id}`,
        user_id: churner.user_id,
        ts: comeBack,
        type: 'session_start',
        properties: { device: 'web', minutes: 12 },
      },
      ...others.flatMap((record, index): Event[] => [
        {
          event_id: `late-a-${index}`,
          user_id: record.user_id,
          ts: `${AS_OF}T00:00:00Z`,
          type: 'cancel_page_view',
          properties: {},
        },
        {
          event_id: `late-b-${index}`,
          user_id: record.user_id,
          ts: `${addDays(AS_OF, 3)}T10:00:00Z`,
          type: 'payment_failed',
          properties: { amount: 9.99, currency: 'EUR', attempt: 1 },
        },
      ]),
    ];
    await lakehouse.writeEvents(late, { fileName: 'late', source: 'import' });

    const rebuilt = await buildAll();
    const after = new Map(
      (await Promise.all(rebuilt.map((summary) => store.readBucketFile(summary.key))))
        .flat()
        .map((record) => [record.user_id, record]),
    );

    expect(after.size).toBe(records.length);
    const changedLabels: string[] = [];
    for (const record of records) {
      const now = after.get(record.user_id);
      expect(now?.features, record.user_id).toEqual(record.features);
      expect(now?.activity_sequence, record.user_id).toEqual(record.activity_sequence);
      if (now?.label !== record.label) changedLabels.push(record.user_id);
    }
    // The session within 30 days of the paid period's end undoes the churn; nothing else moves.
    expect(changedLabels).toEqual([churner.user_id]);
    expect(after.get(churner.user_id)?.label).toBe(0);

    // Back to the state the other tests read.
    await lakehouse.deleteObjects(
      await lakehouse
        .listRawKeys({ fromDay: AS_OF })
        .then((keys) => keys.filter((key) => key.endsWith('/late.parquet'))),
    );
    await buildAll();
  }, 240_000);

  // The handler lists its own bucket's day prefixes (as in AWS), so the same rows come from the other reading path.
  it('runs as a Step Functions Map iteration through the handler, and rejects bad input by name', async () => {
    const restore = useLocalCloudEnv(cloud);
    try {
      const { handler } = await import('../../../functions/snapshot/handler.js');
      const summary = await handler(
        { asOf: AS_OF, horizonDays: HORIZON, bucket: 3, profilesDataset: 'sim' },
        lambdaContext('snapshot'),
      );
      expect(summary).toEqual(summaries[3]);

      await expect(
        handler({ asOf: '2025-02-30', horizonDays: 0, bucket: 16 }, lambdaContext('snapshot')),
      ).rejects.toMatchObject({
        name: 'SnapshotInputError',
        message: expect.stringMatching(/asOf: .*not a calendar day.*horizonDays.*bucket/s),
      });
    } finally {
      restore();
    }
  }, 120_000);

  it('builds the same snapshot with `churn snapshot` and prints a table', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'churn-snapshot-'));
    let stdout = '';
    let stderr = '';
    const io: SnapshotIo = {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text), isTTY: false },
      env: {},
      now: () => NOW,
    };
    try {
      await writeLocalEndpoints(dataDir, cloud);
      const program = new Command().exitOverride();
      registerSnapshot(program, io);
      await program.parseAsync([
        'node',
        'churn',
        'snapshot',
        '--as-of',
        AS_OF,
        '--horizon',
        String(HORIZON),
        '--profiles',
        'sim',
        '--data-dir',
        dataDir,
      ]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }

    expect(stderr).toContain(`buckets ${LAKEHOUSE_BUCKETS}/${LAKEHOUSE_BUCKETS} done`);
    const total = stdout.split('\n').find((line) => line.startsWith('total'));
    const cells = total?.trim().split(/\s{2,}/) ?? [];
    expect(cells.slice(1, 3)).toEqual([
      records.length.toLocaleString('en-US'),
      String(manifest.counts.positives),
    ]);
    expect(stdout).toContain(`profiles joined from dataset sim: ${simulated.profiles.length}`);
    expect(stdout).toContain(
      `manifest: s3://${bucketName}/snapshots/as_of=${AS_OF}/horizon=${HORIZON}/manifest.json`,
    );
    const rebuilt = await collect(readSnapshot(cloud.clients.s3, bucketName, AS_OF, HORIZON));
    expect(rebuilt.sort(byUser)).toEqual([...records].sort(byUser));
  }, 240_000);
});
