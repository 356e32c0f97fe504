import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { createS3Client } from '../../../functions/shared/clients.js';
import { LAKEHOUSE_BUCKETS, S3Lakehouse } from '../../../functions/shared/lakehouse.js';
import { ListedRawEvents, S3SnapshotStore } from '../../../functions/shared/snapshot-store.js';
import {
  type BucketSnapshotSummary,
  defaultObservedUntil,
  makeBuildSnapshot,
  makeWriteSnapshotManifest,
  parseSnapshotInput,
  type SnapshotSource,
  snapshotEventRange,
} from '../../../functions/snapshot/build-snapshot.js';
import { lakehouseBucket } from '../../../infra/resources.js';
import { addDays } from '../../../ml/features/day-aggregate.js';
import { DEFAULT_GRACE_DAYS } from '../../../ml/labels/churn-outcomes.js';
import { defaultDataDir, parseInteger } from '../settings.js';
import { resolveDestination } from './import.js';

/** Where the command writes; tests pass their own. */
export interface SnapshotIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => Date;
}

const processIo: SnapshotIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  now: () => new Date(),
};

interface SnapshotFlags {
  readonly asOf: string;
  readonly horizon: number;
  readonly buckets: readonly number[];
  readonly profiles?: string;
  readonly labels?: string;
  readonly observedUntil?: string;
  readonly concurrency: number;
  readonly dataDir: string;
  readonly endpointFromLocal?: boolean;
}

function calendarDay(flag: string) {
  return (text: string): string => {
    if (
      !/^\d{4}-\d{2}-\d{2}$/.test(text) ||
      new Date(`${text}T00:00:00Z`).toISOString().slice(0, 10) !== text
    ) {
      throw new InvalidArgumentError(`${flag} must be a calendar day YYYY-MM-DD (UTC), got "${text}".`);
    }
    return text;
  };
}

/** `all`, or a comma-separated list of bucket numbers. */
export function parseBuckets(text: string): number[] {
  if (text.trim() === 'all') return Array.from({ length: LAKEHOUSE_BUCKETS }, (_, bucket) => bucket);
  const buckets = text.split(',').map((part) => {
    const value = Number(part.trim());
    if (part.trim() === '' || !Number.isInteger(value) || value < 0 || value >= LAKEHOUSE_BUCKETS) {
      throw new InvalidArgumentError(
        `--buckets must be "all" or bucket numbers from 0 to ${LAKEHOUSE_BUCKETS - 1} separated by commas, got "${part}".`,
      );
    }
    return value;
  });
  return [...new Set(buckets)].sort((a, b) => a - b);
}

function fmt(value: number): string {
  return value.toLocaleString('en-US');
}

/** Reads a dataset once and serves it to every bucket from memory (each bucket filters its own). */
function readOnce<T>(read: (dataset: string) => AsyncIterable<T>): (dataset: string) => AsyncIterable<T> {
  const cache = new Map<string, Promise<T[]>>();
  const collect = async (dataset: string): Promise<T[]> => {
    const items: T[] = [];
    for await (const item of read(dataset)) items.push(item);
    return items;
  };
  return async function* cached(dataset: string): AsyncGenerator<T> {
    let items = cache.get(dataset);
    if (items === undefined) {
      items = collect(dataset);
      cache.set(dataset, items);
    }
    yield* await items;
  };
}

interface TimedSummary {
  readonly summary: BucketSnapshotSummary;
  readonly seconds: number;
}

function printTable(io: SnapshotIo, results: readonly TimedSummary[], wallSeconds: number): void {
  const rate = (positives: number, negatives: number) =>
    positives + negatives === 0 ? '-' : `${((100 * positives) / (positives + negatives)).toFixed(1)}%`;
  const rows = results.map(({ summary, seconds }) => [
    String(summary.bucket).padStart(2, '0'),
    fmt(summary.customers),
    fmt(summary.positives),
    rate(summary.positives, summary.negatives),
    fmt(summary.unknownLabels),
    seconds.toFixed(1),
  ]);
  const sum = (pick: (summary: BucketSnapshotSummary) => number) =>
    results.reduce((total, result) => total + pick(result.summary), 0);
  const positives = sum((summary) => summary.positives);
  rows.push([
    'total',
    fmt(sum((summary) => summary.customers)),
    fmt(positives),
    rate(
      positives,
      sum((summary) => summary.negatives),
    ),
    fmt(sum((summary) => summary.unknownLabels)),
    wallSeconds.toFixed(1),
  ]);
  const header = ['bucket', 'customers', 'positives', 'rate', 'unknown labels', 'seconds'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ');
  io.stdout.write(`${[line(header), ...rows.map(line)].join('\n')}\n`);
}

async function runSnapshot(flags: SnapshotFlags, io: SnapshotIo): Promise<void> {
  const destination = await resolveDestination({
    dataDir: flags.dataDir,
    requireLocal: flags.endpointFromLocal === true,
    env: io.env,
  });
  for (const note of destination.notes) io.stderr.write(`${note}\n`);
  const bucketName = destination.lakehouseBucket;
  if (bucketName === undefined || bucketName === '') {
    throw new Error(
      `no lakehouse bucket to read: start the local cloud with \`churn local up\` (it records itself in ` +
        `${resolve(flags.dataDir)}/endpoints.json), or set ${lakehouseBucket.envVar} (with AWS_REGION) for AWS`,
    );
  }
  if (destination.kind === 'aws' && destination.endpoints.region === undefined) {
    throw new Error(
      'AWS_REGION is not set: set it (and credentials) to build snapshots in AWS, or start `churn local up`',
    );
  }
  // Checked before any reading, so a typo fails at once with the field named.
  const base = {
    asOf: flags.asOf,
    horizonDays: flags.horizon,
    ...(flags.profiles === undefined ? {} : { profilesDataset: flags.profiles }),
    ...(flags.labels === undefined ? {} : { labelsDataset: flags.labels }),
  };
  parseSnapshotInput({ ...base, bucket: 0 });

  const s3 = createS3Client(destination.endpoints);
  try {
    const lakehouse = new S3Lakehouse(s3, bucketName);
    const store = new S3SnapshotStore(s3, bucketName);
    const now = io.now;
    let observedUntil = flags.observedUntil;
    if (observedUntil === undefined) {
      const wanted = defaultObservedUntil(base, now());
      // Every bucket must judge labels on the same data, so the limit is found once, here.
      observedUntil = await store.rawDataUntil(flags.asOf, wanted);
      if (observedUntil <= flags.asOf) {
        throw new Error(
          `no raw events on or after --as-of ${flags.asOf} in s3://${bucketName}/raw/: no label can be known; choose an earlier --as-of`,
        );
      }
      if (observedUntil < wanted) {
        io.stderr.write(
          `raw events stop after ${addDays(observedUntil, -1)}; labels need them up to ${addDays(wanted, -1)}, so customers whose label is not settled by then get none\n`,
        );
      }
    }
    io.stderr.write(
      `snapshot as_of=${flags.asOf} horizon=${flags.horizon} from s3://${bucketName}/raw/ (${destination.kind}), events before ${observedUntil}\n`,
    );

    // One listing for all buckets, and profiles and labels read once: this process builds them all.
    const listed = await ListedRawEvents.list(s3, bucketName, snapshotEventRange(flags.asOf, observedUntil));
    const source: SnapshotSource = {
      readEvents: (query) => listed.readEvents(query),
      readProfiles: readOnce((dataset) => lakehouse.readProfiles(dataset)),
      readLabels: readOnce((dataset) => lakehouse.readLabels(dataset)),
    };
    const buildSnapshot = makeBuildSnapshot({ lakehouse: source, writer: store, now });
    const started = performance.now();
    const results: TimedSummary[] = [];
    let customers = 0;
    const progress = () => {
      const text = `buckets ${results.length}/${flags.buckets.length} done, ${fmt(customers)} customers, ${((performance.now() - started) / 1000).toFixed(1)} s`;
      io.stderr.write(io.stderr.isTTY ? `\r${text}\u001b[K` : `${text}\n`);
    };
    const queue = flags.buckets.values();
    let failed = false;
    const worker = async () => {
      for (const bucket of queue) {
        if (failed) return;
        const began = performance.now();
        const summary = await buildSnapshot(parseSnapshotInput({ ...base, bucket, observedUntil })).catch(
          (error: unknown) => {
            failed = true;
            throw error;
          },
        );
        results.push({ summary, seconds: (performance.now() - began) / 1000 });
        customers += summary.customers;
        progress();
      }
    };
    // allSettled: a failed bucket must not leave others writing after the client is destroyed.
    const settled = await Promise.allSettled(
      Array.from({ length: Math.min(flags.concurrency, flags.buckets.length) }, worker),
    );
    const failure = settled.find((outcome) => outcome.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
    if (io.stderr.isTTY) io.stderr.write('\n');
    const wallSeconds = (performance.now() - started) / 1000;

    results.sort((a, b) => a.summary.bucket - b.summary.bucket);
    const { key, manifest } = await makeWriteSnapshotManifest({ store, now })({
      asOf: flags.asOf,
      horizonDays: flags.horizon,
      graceDays: DEFAULT_GRACE_DAYS,
      summaries: results.map((result) => result.summary),
    });
    printTable(io, results, wallSeconds);
    const skipped = results.reduce((sum, result) => sum + result.summary.eventsSkipped, 0);
    const duplicates = results.reduce((sum, result) => sum + result.summary.duplicatesDropped, 0);
    const incomplete = results.reduce((sum, result) => sum + result.summary.profilesIncomplete, 0);
    const joined = results.reduce((sum, result) => sum + result.summary.profilesJoined, 0);
    const imported = results.reduce((sum, result) => sum + result.summary.labelsImported, 0);
    if (flags.profiles !== undefined) {
      io.stdout.write(`profiles joined from dataset ${flags.profiles}: ${fmt(joined)}\n`);
    }
    if (flags.labels !== undefined) {
      io.stdout.write(
        `imported labels from dataset ${flags.labels} (they replace derived ones): ${fmt(imported)}\n`,
      );
    }
    if (skipped > 0)
      io.stdout.write(`stored events skipped (no longer valid, or misplaced): ${fmt(skipped)}\n`);
    if (duplicates > 0) io.stdout.write(`duplicate events counted once: ${fmt(duplicates)}\n`);
    if (incomplete > 0) {
      io.stdout.write(`profiles left out (a field features need is missing): ${fmt(incomplete)}\n`);
    }
    io.stdout.write(
      `manifest: s3://${bucketName}/${key}${manifest.complete ? '' : ` (partial: ${results.length} of ${LAKEHOUSE_BUCKETS} buckets)`}\n`,
    );
  } finally {
    s3.destroy();
  }
}

/**
 * `churn snapshot --as-of DATE --horizon DAYS`: point-in-time training snapshot, one hash bucket
 * at a time (as the cloud's Distributed Map runs it), then the manifest. Not yet registered by
 * `local/cli/main.ts`: add `registerSnapshot(program)` there.
 */
export function registerSnapshot(program: Command, io: SnapshotIo = processIo): void {
  program
    .command('snapshot')
    .summary('build a point-in-time training snapshot from the lakehouse')
    .description(
      [
        'Features as of --as-of from events strictly before it, labels from the window',
        '[as-of, as-of + horizon) derived from later events (imported labels win), written',
        'to the lakehouse as snapshots/as_of=DATE/horizon=H/bucket=NN.parquet plus manifest.json.',
        'Finds the lakehouse as `churn import` does: a running `churn local up`, else AWS.',
      ].join('\n'),
    )
    .requiredOption('--as-of <date>', 'cut-off day YYYY-MM-DD (UTC)', calendarDay('--as-of'))
    .requiredOption('--horizon <days>', 'label window in days', parseInteger('--horizon', 1, 366))
    .option(
      '--buckets <list>',
      `"all" or bucket numbers 0-${LAKEHOUSE_BUCKETS - 1}, e.g. 0,1,2`,
      parseBuckets,
      parseBuckets('all'),
    )
    .option('--profiles <dataset>', 'join imported profiles of this lakehouse dataset')
    .option('--labels <dataset>', 'imported labels of this lakehouse dataset, which replace derived ones')
    .option(
      '--observed-until <date>',
      'read events before this day for labels (default: as-of + horizon + 30 days, or where raw events end)',
      calendarDay('--observed-until'),
    )
    .option(
      '--concurrency <n>',
      'buckets built at once',
      parseInteger('--concurrency', 1, LAKEHOUSE_BUCKETS),
      4,
    )
    .option(
      '--data-dir <dir>',
      'local cloud state; its endpoints.json says where `churn local up` listens',
      defaultDataDir(),
    )
    .option('--endpoint-from-local', 'fail unless a running `churn local up` is recorded in --data-dir')
    .addHelpText('after', '\nExample:\n  churn snapshot --as-of 2025-04-01 --horizon 30 --profiles sim')
    .action((flags: SnapshotFlags) => runSnapshot(flags, io));
}
