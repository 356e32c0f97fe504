import {
  GetObjectCommand,
  ListObjectsCommand,
  type ListObjectsCommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { z } from 'zod';
import { addDays } from '../../ml/features/day-aggregate.js';
import {
  type CategoricalFeatureName,
  FEATURE_DEFINITIONS,
  type FeatureVector,
  type NumericFeatureName,
} from '../../ml/features/features.js';
import { LOOKBACK_DAYS } from '../../ml/features/history.js';
import { SEQUENCE_CHANNELS } from '../../ml/features/sequence.js';
import { isRecord } from '../../ml/schema/fields.js';
import { formatIssues } from '../../ml/schema/format-issues.js';
import { ChurnRadarError, NotFoundError, ValidationError } from './errors.js';
import {
  bucketLabel,
  type EventQuery,
  LAKEHOUSE_BUCKETS,
  type LakehouseEventRow,
  parseRawKey,
  RAW_PREFIX,
  S3Lakehouse,
} from './lakehouse.js';

export const SNAPSHOTS_PREFIX = 'snapshots/';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function checkDay(field: string, day: string): string {
  const valid = DAY.test(day) && new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) === day;
  if (!valid) throw new ValidationError(`${field}: expected a calendar day YYYY-MM-DD, got "${day}"`);
  return day;
}

function checkHorizon(horizonDays: number): number {
  if (!Number.isInteger(horizonDays) || horizonDays < 1) {
    throw new ValidationError(`horizonDays: expected a positive whole number of days, got ${horizonDays}`);
  }
  return horizonDays;
}

/** `snapshots/as_of=YYYY-MM-DD/horizon=H/`: one snapshot, all its bucket files and its manifest. */
export function snapshotPrefix(asOf: string, horizonDays: number): string {
  return `${SNAPSHOTS_PREFIX}as_of=${checkDay('asOf', asOf)}/horizon=${checkHorizon(horizonDays)}/`;
}

/** `snapshots/as_of=.../horizon=.../bucket=NN.parquet`. */
export function snapshotBucketKey(asOf: string, horizonDays: number, bucket: number): string {
  return `${snapshotPrefix(asOf, horizonDays)}bucket=${bucketLabel(bucket)}.parquet`;
}

/** `snapshots/as_of=.../horizon=.../manifest.json`, written once every bucket is. */
export function snapshotManifestKey(asOf: string, horizonDays: number): string {
  return `${snapshotPrefix(asOf, horizonDays)}manifest.json`;
}

/** One training row: a customer's point-in-time features as of `as_of` and the label of the window after it. */
export interface SnapshotRecord {
  readonly user_id: string;
  /** `YYYY-MM-DD`: features use only days before it. */
  readonly as_of: string;
  /** 1: churned in `[as_of, as_of + horizon)`; 0: did not; null: not known. */
  readonly label: 0 | 1 | null;
  /** The churn date the label rests on; may lie after the window, or be unconfirmed (label null). */
  readonly churn_date: string | null;
  readonly features: FeatureVector;
  /** `activitySequence`: `[SEQUENCE_DAYS, SEQUENCE_CHANNELS]` row-major, oldest day first. */
  readonly activity_sequence: Float32Array;
  /** `graphNeighbours`: the people linked to the customer as of `as_of`, sorted. */
  readonly neighbours: readonly string[];
}

/** Days in each stored activity sequence: the whole lookback, the most the online store can serve. */
export const SEQUENCE_DAYS = LOOKBACK_DAYS;
const SEQUENCE_LENGTH = SEQUENCE_DAYS * SEQUENCE_CHANNELS.length;

const FIXED_COLUMNS = ['user_id', 'as_of', 'label', 'churn_date', 'activity_sequence', 'neighbours'] as const;
const NUMERIC_FEATURES = FEATURE_DEFINITIONS.filter((definition) => definition.kind === 'numeric').map(
  (definition) => definition.name as NumericFeatureName,
);
const CATEGORICAL_FEATURES = FEATURE_DEFINITIONS.filter(
  (definition) => definition.kind === 'categorical',
).map((definition) => definition.name as CategoricalFeatureName);

for (const definition of FEATURE_DEFINITIONS) {
  if ((FIXED_COLUMNS as readonly string[]).includes(definition.name)) {
    // A feature named like a fixed column would silently overwrite it in every snapshot file.
    throw new Error(`feature ${definition.name} clashes with a snapshot column; rename the feature`);
  }
}

/** Thrown when a snapshot file or manifest does not have the shape this adapter writes. */
export class SnapshotDataError extends ChurnRadarError {
  constructor(message: string, key?: string, options?: ErrorOptions) {
    super(key === undefined ? message : `${key}: ${message}`, 'SnapshotDataError', 500, options);
  }
}

/** The snapshot asked for has no manifest: it was never built, or not every bucket finished. */
export class SnapshotNotFoundError extends NotFoundError {
  readonly asOf: string;
  readonly horizonDays: number;

  constructor(asOf: string, horizonDays: number) {
    super(
      `snapshot as_of=${asOf} horizon=${horizonDays} has no manifest (${snapshotManifestKey(asOf, horizonDays)}); ` +
        'build it with `churn snapshot` first',
    );
    this.asOf = asOf;
    this.horizonDays = horizonDays;
  }
}

/** Float32 values as little-endian bytes, whatever the machine's byte order. */
function sequenceBytes(sequence: Float32Array): Uint8Array {
  const bytes = new Uint8Array(sequence.length * 4);
  const view = new DataView(bytes.buffer);
  for (let index = 0; index < sequence.length; index++)
    view.setFloat32(index * 4, sequence[index] ?? 0, true);
  return bytes;
}

function sequenceFromBytes(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sequence = new Float32Array(bytes.byteLength / 4);
  for (let index = 0; index < sequence.length; index++) sequence[index] = view.getFloat32(index * 4, true);
  return sequence;
}

/**
 * A bucket's records as Parquet (snappy), one row per customer: the fixed columns, then every
 * feature in `FEATURE_DEFINITIONS` order as its own column (numeric DOUBLE, categorical STRING),
 * so any Parquet reader (Athena, pandas) sees a plain table. The sequence is BYTE_ARRAY of
 * little-endian float32 (shape in the file's key-value metadata), the neighbours a JSON list.
 */
export function encodeSnapshot(records: readonly SnapshotRecord[]): Uint8Array {
  for (const record of records) {
    if (record.activity_sequence.length !== SEQUENCE_LENGTH) {
      throw new ValidationError(
        `activity_sequence of ${record.user_id}: expected ${SEQUENCE_DAYS} days x ${SEQUENCE_CHANNELS.length} channels (${SEQUENCE_LENGTH} values), got ${record.activity_sequence.length}`,
      );
    }
  }
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: 'user_id', data: records.map((record) => record.user_id), type: 'STRING', nullable: false },
      { name: 'as_of', data: records.map((record) => record.as_of), type: 'STRING', nullable: false },
      { name: 'label', data: records.map((record) => record.label), type: 'INT32', nullable: true },
      {
        name: 'churn_date',
        data: records.map((record) => record.churn_date),
        type: 'STRING',
        nullable: true,
      },
      ...NUMERIC_FEATURES.map((name) => ({
        name,
        data: records.map((record) => record.features[name]),
        type: 'DOUBLE' as const,
        nullable: false,
      })),
      ...CATEGORICAL_FEATURES.map((name) => ({
        name,
        data: records.map((record) => record.features[name]),
        type: 'STRING' as const,
        nullable: false,
      })),
      {
        name: 'activity_sequence',
        data: records.map((record) => sequenceBytes(record.activity_sequence)),
        type: 'BYTE_ARRAY',
        nullable: false,
      },
      {
        name: 'neighbours',
        data: records.map((record) => JSON.stringify(record.neighbours)),
        type: 'JSON',
        nullable: false,
      },
    ],
    kvMetadata: [
      { key: 'churn_radar.sequence_days', value: String(SEQUENCE_DAYS) },
      { key: 'churn_radar.sequence_channels', value: SEQUENCE_CHANNELS.join(',') },
      { key: 'churn_radar.sequence_encoding', value: 'float32-le' },
    ],
  });
  return new Uint8Array(buffer);
}

function textColumn(row: Record<string, unknown>, name: string, index: number): string {
  const value = row[name];
  if (typeof value !== 'string') throw new SnapshotDataError(`row ${index}: column ${name} must be text`);
  return value;
}

function nullableText(row: Record<string, unknown>, name: string, index: number): string | null {
  const value = row[name];
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string')
    throw new SnapshotDataError(`row ${index}: column ${name} must be text or null`);
  return value;
}

function decodeRecord(row: unknown, index: number): SnapshotRecord {
  if (!isRecord(row)) throw new SnapshotDataError(`row ${index}: expected an object`);
  const label = row.label ?? null;
  if (label !== null && label !== 0 && label !== 1) {
    throw new SnapshotDataError(`row ${index}: column label must be 0, 1 or null`);
  }
  const features: Record<string, number | string> = {};
  for (const name of NUMERIC_FEATURES) {
    const value = row[name];
    if (typeof value !== 'number')
      throw new SnapshotDataError(`row ${index}: column ${name} must be a number`);
    features[name] = value;
  }
  for (const name of CATEGORICAL_FEATURES) features[name] = textColumn(row, name, index);
  const sequence = row.activity_sequence;
  if (!(sequence instanceof Uint8Array) || sequence.byteLength !== SEQUENCE_LENGTH * 4) {
    throw new SnapshotDataError(
      `row ${index}: column activity_sequence must hold ${SEQUENCE_LENGTH} float32 values (${SEQUENCE_LENGTH * 4} bytes)`,
    );
  }
  let neighbours: unknown;
  try {
    neighbours = JSON.parse(textColumn(row, 'neighbours', index));
  } catch (error) {
    if (error instanceof SnapshotDataError) throw error;
    throw new SnapshotDataError(`row ${index}: column neighbours is not valid JSON`);
  }
  if (!Array.isArray(neighbours) || neighbours.some((item) => typeof item !== 'string')) {
    throw new SnapshotDataError(`row ${index}: column neighbours must be a JSON list of ids`);
  }
  return {
    user_id: textColumn(row, 'user_id', index),
    as_of: textColumn(row, 'as_of', index),
    label,
    churn_date: nullableText(row, 'churn_date', index),
    // Every feature was checked above, so the record has exactly the FeatureVector's keys.
    features: features as FeatureVector,
    activity_sequence: sequenceFromBytes(sequence),
    neighbours: neighbours as string[],
  };
}

/** The records of a file written by {@link encodeSnapshot}, checked column by column. */
export async function decodeSnapshot(bytes: Uint8Array): Promise<SnapshotRecord[]> {
  // A copy: hyparquet wants a plain ArrayBuffer, and `bytes` may be a view into a larger one.
  const file = bytes.slice().buffer;
  const metadata = parquetMetadata(file);
  if (metadata.num_rows === 0n) return [];
  const columns = new Set(metadata.schema.slice(1).map((element) => element.name));
  const missing = [...FIXED_COLUMNS, ...NUMERIC_FEATURES, ...CATEGORICAL_FEATURES].filter(
    (name) => !columns.has(name),
  );
  if (missing.length > 0) {
    // An older file, written before a feature was added: say which, rather than fail on row 0.
    throw new SnapshotDataError(`missing column(s) ${missing.join(', ')}; rebuild the snapshot`);
  }
  // utf8 off: the sequence column is raw bytes; STRING and JSON columns still decode as text.
  const rows: unknown[] = await parquetReadObjects({ file, utf8: false });
  return rows.map(decodeRecord);
}

// ---------------------------------------------------------------------------------------------
// Manifest

const BucketEntry = z.object({
  bucket: z
    .int()
    .min(0)
    .max(LAKEHOUSE_BUCKETS - 1),
  key: z.string().min(1),
  customers: z.int().min(0),
  positives: z.int().min(0),
  negatives: z.int().min(0),
  unknown_labels: z.int().min(0),
});

export const SnapshotManifestSchema = z.object({
  version: z.literal(1),
  as_of: z.string().regex(DAY),
  horizon_days: z.int().min(1),
  grace_days: z.int().min(1),
  /** Events before this day (exclusive) were read; labels are known only as far as it allows. */
  observed_until: z.string().regex(DAY),
  created_at: z.string(),
  /** True when every hash bucket has a file. */
  complete: z.boolean(),
  buckets_total: z.int().min(1),
  counts: z.object({
    customers: z.int().min(0),
    positives: z.int().min(0),
    negatives: z.int().min(0),
    unknown_labels: z.int().min(0),
  }),
  features: z.array(z.object({ name: z.string(), kind: z.enum(['numeric', 'categorical']) })),
  sequence: z.object({
    days: z.int().min(1),
    channels: z.array(z.string()),
    encoding: z.literal('float32-le'),
  }),
  buckets: z.array(BucketEntry),
});

export type SnapshotManifest = z.infer<typeof SnapshotManifestSchema>;
export type SnapshotManifestBucket = z.infer<typeof BucketEntry>;

/** What the manifest says about the features and the sequence, taken from the code that writes the files. */
export function snapshotLayout(): Pick<SnapshotManifest, 'features' | 'sequence'> {
  return {
    features: FEATURE_DEFINITIONS.map((definition) => ({ name: definition.name, kind: definition.kind })),
    sequence: { days: SEQUENCE_DAYS, channels: [...SEQUENCE_CHANNELS], encoding: 'float32-le' },
  };
}

// ---------------------------------------------------------------------------------------------
// S3 adapter

/**
 * Training snapshots in the lakehouse bucket: one Parquet file per customer hash bucket, written
 * by the iterations of a Distributed Map (or `churn snapshot`), and a manifest written after all
 * of them, which is what makes a snapshot readable.
 */
export class S3SnapshotStore {
  private readonly s3: S3Client;
  private readonly bucket: string;

  constructor(s3: S3Client, bucket: string) {
    this.s3 = s3;
    this.bucket = bucket;
  }

  /** Writes (or overwrites: a retried iteration writes the same key) one bucket's file; returns its key. */
  async writeBucket(snapshot: {
    readonly asOf: string;
    readonly horizonDays: number;
    readonly bucket: number;
    readonly records: readonly SnapshotRecord[];
  }): Promise<string> {
    const key = snapshotBucketKey(snapshot.asOf, snapshot.horizonDays, snapshot.bucket);
    await this.put(key, encodeSnapshot(snapshot.records), 'application/vnd.apache.parquet');
    return key;
  }

  async readBucketFile(key: string): Promise<SnapshotRecord[]> {
    const bytes = await this.getBytes(key);
    if (bytes === undefined)
      throw new SnapshotDataError('the manifest lists this file, but it is missing', key);
    try {
      return await decodeSnapshot(bytes);
    } catch (error) {
      if (error instanceof SnapshotDataError)
        throw new SnapshotDataError(error.message, key, { cause: error });
      throw new SnapshotDataError('not a readable snapshot file', key, { cause: error });
    }
  }

  async writeManifest(manifest: SnapshotManifest): Promise<string> {
    const key = snapshotManifestKey(manifest.as_of, manifest.horizon_days);
    await this.put(key, `${JSON.stringify(manifest, null, 2)}\n`, 'application/json');
    return key;
  }

  /** The manifest, or undefined when the snapshot has none. */
  async readManifest(asOf: string, horizonDays: number): Promise<SnapshotManifest | undefined> {
    const key = snapshotManifestKey(asOf, horizonDays);
    const bytes = await this.getBytes(key);
    if (bytes === undefined) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder().decode(bytes));
    } catch (error) {
      throw new SnapshotDataError('not valid JSON', key, { cause: error });
    }
    const parsed = SnapshotManifestSchema.safeParse(value, { reportInput: true });
    if (!parsed.success) throw new SnapshotDataError(formatIssues(parsed.error, 'manifest'), key);
    return parsed.data;
  }

  /** The snapshots that have a manifest (complete ones), oldest cut-off first. */
  async listSnapshots(): Promise<{ readonly asOf: string; readonly horizonDays: number }[]> {
    const found: { asOf: string; horizonDays: number }[] = [];
    let marker: string | undefined;
    do {
      const response: ListObjectsCommandOutput = await this.s3.send(
        new ListObjectsCommand({
          Bucket: this.bucket,
          Prefix: SNAPSHOTS_PREFIX,
          MaxKeys: 1000,
          ...(marker === undefined ? {} : { Marker: marker }),
        }),
      );
      const keys = (response.Contents ?? []).flatMap((object) =>
        object.Key === undefined ? [] : [object.Key],
      );
      for (const key of keys) {
        const match = /^snapshots\/as_of=(\d{4}-\d{2}-\d{2})\/horizon=(\d+)\/manifest\.json$/.exec(key);
        if (match?.[1] !== undefined && match[2] !== undefined)
          found.push({ asOf: match[1], horizonDays: Number(match[2]) });
      }
      marker = response.IsTruncated === true ? keys.at(-1) : undefined;
    } while (marker !== undefined);
    return found.sort((a, b) => (a.asOf < b.asOf ? -1 : a.asOf > b.asOf ? 1 : a.horizonDays - b.horizonDays));
  }

  /** Every record of a snapshot, bucket file by bucket file in the manifest's order. */
  async *readSnapshot(asOf: string, horizonDays: number): AsyncGenerator<SnapshotRecord> {
    const manifest = await this.readManifest(asOf, horizonDays);
    if (manifest === undefined) throw new SnapshotNotFoundError(asOf, horizonDays);
    for (const entry of manifest.buckets) {
      const records = await this.readBucketFile(entry.key);
      if (records.length !== entry.customers) {
        throw new SnapshotDataError(
          `holds ${records.length} rows, the manifest says ${entry.customers}; rebuild the snapshot`,
          entry.key,
        );
      }
      yield* records;
    }
  }

  /**
   * The observation limit the raw events support: `until` when the day before it has raw files,
   * else the day after the latest day in `[from, until)` that has them, else `from`. Probes day by
   * day backwards with one-key listings (ListObjects v1, which s3rver can answer when truncated),
   * so a snapshot whose label window is fully in the data costs one request.
   */
  async rawDataUntil(from: string, until: string): Promise<string> {
    checkDay('from', from);
    checkDay('until', until);
    for (let day = addDays(until, -1); day >= from; day = addDays(day, -1)) {
      const response = await this.s3.send(
        new ListObjectsCommand({ Bucket: this.bucket, Prefix: `${RAW_PREFIX}dt=${day}/`, MaxKeys: 1 }),
      );
      if ((response.Contents?.length ?? 0) > 0) return addDays(day, 1);
    }
    return from;
  }

  private async put(key: string, body: Uint8Array | string, contentType: string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }

  private async getBytes(key: string): Promise<Uint8Array | undefined> {
    try {
      const response = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (response.Body === undefined) throw new SnapshotDataError('object has no body', key);
      return await response.Body.transformToByteArray();
    } catch (error) {
      if (error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound'))
        return undefined;
      throw error;
    }
  }
}

/**
 * The raw event files of a day range, listed once for all hash buckets and then read bucket by
 * bucket: what a run that builds every bucket in one process (`churn snapshot`) wants. A Lambda
 * building one bucket lists its own bucket's prefixes instead (`S3Lakehouse.readEvents`), which in
 * S3 reads far fewer keys; on the local cloud every listing walks the whole store, so listing
 * per day and bucket costs minutes where one ranged listing costs a second. Both read the same
 * files in the same order.
 */
export class ListedRawEvents {
  private readonly s3: S3Client;
  private readonly bucket: string;
  private readonly fromDay: string;
  private readonly toDay: string;
  private readonly keysByBucket: ReadonlyMap<number, readonly string[]>;

  private constructor(
    s3: S3Client,
    bucket: string,
    range: { fromDay: string; toDay: string },
    keysByBucket: ReadonlyMap<number, readonly string[]>,
  ) {
    this.s3 = s3;
    this.bucket = bucket;
    this.fromDay = range.fromDay;
    this.toDay = range.toDay;
    this.keysByBucket = keysByBucket;
  }

  /**
   * Lists `raw/` from `fromDay` (inclusive) to `toDay` (exclusive) with ListObjects (v1) and
   * markers: keys sort by day, so the listing starts at the first day and stops past the last,
   * and markers page through s3rver as through S3 (s3rver's v2 tokens need DES, which OpenSSL 3 lacks).
   */
  static async list(
    s3: S3Client,
    bucket: string,
    range: { readonly fromDay: string; readonly toDay: string },
  ): Promise<ListedRawEvents> {
    checkDay('fromDay', range.fromDay);
    checkDay('toDay', range.toDay);
    const keysByBucket = new Map<number, string[]>();
    let marker: string | undefined = `${RAW_PREFIX}dt=${range.fromDay}`;
    while (marker !== undefined) {
      const response: ListObjectsCommandOutput = await s3.send(
        new ListObjectsCommand({ Bucket: bucket, Prefix: `${RAW_PREFIX}dt=`, Marker: marker, MaxKeys: 1000 }),
      );
      const keys = (response.Contents ?? []).flatMap((object) =>
        object.Key === undefined ? [] : [object.Key],
      );
      let pastRange = false;
      for (const key of keys) {
        const partition = parseRawKey(key);
        if (partition === undefined || partition.day < range.fromDay) continue;
        if (partition.day >= range.toDay) {
          pastRange = true;
          break;
        }
        const listed = keysByBucket.get(partition.bucket);
        if (listed === undefined) keysByBucket.set(partition.bucket, [key]);
        else listed.push(key);
      }
      marker =
        response.IsTruncated && !pastRange ? (response.NextMarker ?? keys[keys.length - 1]) : undefined;
    }
    for (const keys of keysByBucket.values()) keys.sort();
    return new ListedRawEvents(s3, bucket, { fromDay: range.fromDay, toDay: range.toDay }, keysByBucket);
  }

  /** Listed files of one day range and set of buckets. */
  keys(query: EventQuery = {}): string[] {
    const fromDay = query.fromDay ?? this.fromDay;
    const toDay = query.toDay ?? this.toDay;
    if (fromDay < this.fromDay || toDay > this.toDay) {
      throw new ValidationError(
        `days: ${fromDay}..${toDay} reach outside the listed range ${this.fromDay}..${this.toDay}; list them first`,
      );
    }
    const buckets = query.buckets ?? Array.from({ length: LAKEHOUSE_BUCKETS }, (_, bucket) => bucket);
    return buckets
      .flatMap((bucket) => this.keysByBucket.get(bucket) ?? [])
      .filter((key) => {
        const day = parseRawKey(key)?.day ?? '';
        return day >= fromDay && day < toDay;
      })
      .sort();
  }

  /** Event rows of the listed files, file by file in key order (so day by day within a bucket), a few files ahead. */
  readEvents(query: EventQuery = {}): AsyncGenerator<LakehouseEventRow> {
    return new S3Lakehouse(this.s3, this.bucket).readEventFiles(this.keys(query));
  }
}

/** Every record of a complete snapshot (one with a manifest), bucket by bucket. */
export function readSnapshot(
  s3: S3Client,
  bucket: string,
  asOf: string,
  horizonDays: number,
): AsyncIterable<SnapshotRecord> {
  return new S3SnapshotStore(s3, bucket).readSnapshot(asOf, horizonDays);
}
