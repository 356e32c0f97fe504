import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { z } from 'zod';
import { type ImportedLabel, parseImportedLabel } from '../../ml/import/labels.js';
import { type ImportedProfile, parseImportedProfile } from '../../ml/import/profiles.js';
import { type Event, type ParseEventResult, parseEvent } from '../../ml/schema/event.js';
import { isRecord } from '../../ml/schema/fields.js';
import { formatIssues } from '../../ml/schema/format-issues.js';
import { ChurnRadarError, ValidationError } from './errors.js';

/**
 * Customer hash buckets per day. Sixteen keeps a day's files few enough to list in one call and
 * makes an erasure read 1/16 of the raw events instead of all of them.
 */
export const LAKEHOUSE_BUCKETS = 16;

export const RAW_PREFIX = 'raw/';
export const QUARANTINE_PREFIX = 'quarantine/';
export const PROFILES_PREFIX = 'profiles/';
export const LABELS_PREFIX = 'labels/';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const utf8 = new TextEncoder();

/**
 * The customer's hash bucket: FNV-1a (32 bit) over the id's UTF-8 bytes. Stable across runtimes and
 * releases by construction; changing it would scatter every customer's history, so it must not change.
 */
export function customerBucket(userId: string): number {
  let hash = FNV_OFFSET;
  for (const byte of utf8.encode(userId)) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME) >>> 0;
  }
  return hash % LAKEHOUSE_BUCKETS;
}

/** The bucket as it appears in keys: two digits, zero-padded, so keys sort in bucket order. */
export function bucketLabel(bucket: number): string {
  if (!Number.isInteger(bucket) || bucket < 0 || bucket >= LAKEHOUSE_BUCKETS) {
    throw new ValidationError(
      `bucket: expected a whole number from 0 to ${LAKEHOUSE_BUCKETS - 1}, got ${bucket}`,
    );
  }
  return String(bucket).padStart(2, '0');
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._=-]{0,199}$/;
const DATASET = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

function checkDay(field: string, day: string): string {
  const match = DAY.exec(day);
  const valid =
    match !== null &&
    new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])))
      .toISOString()
      .slice(0, 10) === day;
  if (!valid) throw new ValidationError(`${field}: expected a calendar day YYYY-MM-DD, got "${day}"`);
  return day;
}

function checkFileName(fileName: string): string {
  if (!FILE_NAME.test(fileName)) {
    throw new ValidationError(
      `fileName: expected 1-200 letters, digits, '.', '_', '=' or '-' (no '/'), starting with a letter or digit, got "${fileName}"`,
    );
  }
  return fileName;
}

function checkDataset(dataset: string): string {
  if (!DATASET.test(dataset)) {
    throw new ValidationError(
      `dataset: expected 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit, got "${dataset}"`,
    );
  }
  return dataset;
}

function withExtension(fileName: string, extension: string): string {
  return fileName.endsWith(extension) ? fileName : `${fileName}${extension}`;
}

/** `raw/dt=YYYY-MM-DD/bucket=NN/`: everything of one day and one customer bucket. */
export function rawPrefix(day: string, bucket: number): string {
  return `${RAW_PREFIX}dt=${checkDay('day', day)}/bucket=${bucketLabel(bucket)}/`;
}

/** `raw/dt=YYYY-MM-DD/bucket=NN/<fileName>.parquet`. */
export function rawKey(day: string, bucket: number, fileName: string): string {
  return `${rawPrefix(day, bucket)}${withExtension(checkFileName(fileName), '.parquet')}`;
}

/** The partition of a raw key, or undefined for a key outside the raw layout. */
export function parseRawKey(key: string): { day: string; bucket: number; file: string } | undefined {
  const match = /^raw\/dt=(\d{4}-\d{2}-\d{2})\/bucket=(\d{2})\/([^/]+)$/.exec(key);
  if (match === null || match[1] === undefined || match[3] === undefined) return undefined;
  return { day: match[1], bucket: Number(match[2]), file: match[3] };
}

/** `quarantine/dt=YYYY-MM-DD/<fileName>.jsonl`. */
export function quarantineKey(day: string, fileName: string): string {
  return `${QUARANTINE_PREFIX}dt=${checkDay('day', day)}/${withExtension(checkFileName(fileName), '.jsonl')}`;
}

/** `profiles/dataset=<name>/<fileName>.jsonl`. */
export function profilesKey(dataset: string, fileName: string): string {
  return `${PROFILES_PREFIX}dataset=${checkDataset(dataset)}/${withExtension(checkFileName(fileName), '.jsonl')}`;
}

/** `labels/dataset=<name>/<fileName>.jsonl`. */
export function labelsKey(dataset: string, fileName: string): string {
  return `${LABELS_PREFIX}dataset=${checkDataset(dataset)}/${withExtension(checkFileName(fileName), '.jsonl')}`;
}

/** The UTC day of an ISO 8601 UTC timestamp; the schema guarantees it starts with the date. */
export function dayOf(ts: string): string {
  return ts.slice(0, 10);
}

/** Where a row came from. Kinesis rows carry their stream position, so a replay can be traced. */
export type EventSource = 'kinesis' | 'import';

export interface StreamPosition {
  readonly shardId: string;
  readonly sequenceNumber: string;
}

/** One event as stored in a raw Parquet file. `properties` is JSON text: its keys vary by event type. */
export interface LakehouseEventRow {
  readonly event_id: string;
  readonly user_id: string;
  readonly ts: string;
  readonly type: string;
  readonly properties: string;
  readonly day: string;
  readonly source: EventSource | null;
  readonly shard_id: string | null;
  readonly sequence_number: string | null;
}

/** The stored row of an event. */
export function toEventRow(event: Event, source?: EventSource, position?: StreamPosition): LakehouseEventRow {
  return {
    event_id: event.event_id,
    user_id: event.user_id,
    ts: event.ts,
    type: event.type,
    properties: JSON.stringify(event.properties),
    day: dayOf(event.ts),
    source: source ?? null,
    shard_id: position?.shardId ?? null,
    sequence_number: position?.sequenceNumber ?? null,
  };
}

/** The event a stored row holds, validated again: the file may be older than the schema. */
export function eventFromRow(row: LakehouseEventRow): ParseEventResult {
  let properties: unknown;
  try {
    properties = JSON.parse(row.properties);
  } catch {
    return { ok: false, reason: 'properties: stored text is not valid JSON' };
  }
  return parseEvent({ event_id: row.event_id, user_id: row.user_id, ts: row.ts, type: row.type, properties });
}

/** Groups by partition prefix (`raw/dt=.../bucket=NN/`), keeping input order within a partition. */
export function partitionEvents<T extends { readonly user_id: string; readonly ts: string }>(
  events: readonly T[],
): Map<string, T[]> {
  const partitions = new Map<string, T[]>();
  const prefixes = new Map<string, string>();
  for (const event of events) {
    const day = dayOf(event.ts);
    const bucket = customerBucket(event.user_id);
    const id = `${day}/${bucket}`;
    let prefix = prefixes.get(id);
    if (prefix === undefined) {
      prefix = rawPrefix(day, bucket);
      prefixes.set(id, prefix);
    }
    const group = partitions.get(prefix);
    if (group === undefined) partitions.set(prefix, [event]);
    else group.push(event);
  }
  return partitions;
}

const REQUIRED_COLUMNS = ['event_id', 'user_id', 'ts', 'type', 'properties', 'day'] as const;
const OPTIONAL_COLUMNS = ['source', 'shard_id', 'sequence_number'] as const;

/**
 * A Parquet file of event rows (snappy). Rows are sorted by customer and time, so a snapshot reads a
 * customer's history in order and a retry of the same batch writes the same bytes.
 */
export function encodeEvents(rows: readonly LakehouseEventRow[]): Uint8Array {
  const sorted = [...rows].sort(
    (a, b) =>
      (a.user_id < b.user_id ? -1 : a.user_id > b.user_id ? 1 : 0) ||
      (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0) ||
      (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0),
  );
  const buffer = parquetWriteBuffer({
    columnData: [
      ...REQUIRED_COLUMNS.map((name) => ({
        name,
        data: sorted.map((row) => row[name]),
        type: 'STRING' as const,
        nullable: false,
      })),
      ...OPTIONAL_COLUMNS.map((name) => ({
        name,
        data: sorted.map((row) => row[name]),
        type: 'STRING' as const,
        nullable: true,
      })),
    ],
  });
  return new Uint8Array(buffer);
}

/** Thrown when a stored object does not have the shape this adapter writes. */
export class LakehouseDataError extends ChurnRadarError {
  readonly key: string | undefined;

  constructor(message: string, key?: string, options?: ErrorOptions) {
    super(key === undefined ? message : `${key}: ${message}`, 'LakehouseDataError', 500, options);
    this.key = key;
  }
}

function stringOrNull(value: unknown): string | null | undefined {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : undefined;
}

/** The rows of a Parquet file written by {@link encodeEvents}. */
export async function decodeEvents(bytes: Uint8Array): Promise<LakehouseEventRow[]> {
  // A copy: hyparquet wants a plain ArrayBuffer, and `bytes` may be a view into a larger one.
  const objects: unknown[] = await parquetReadObjects({ file: bytes.slice().buffer });
  return objects.map((object, index) => {
    if (!isRecord(object)) throw new LakehouseDataError(`row ${index}: expected an object`);
    for (const name of REQUIRED_COLUMNS) {
      if (typeof object[name] !== 'string') {
        throw new LakehouseDataError(`row ${index}: column ${name} must be text, got ${typeof object[name]}`);
      }
    }
    const source = stringOrNull(object.source);
    if (source !== null && source !== 'kinesis' && source !== 'import') {
      throw new LakehouseDataError(`row ${index}: column source must be kinesis, import or null`);
    }
    const shardId = stringOrNull(object.shard_id);
    const sequenceNumber = stringOrNull(object.sequence_number);
    if (shardId === undefined || sequenceNumber === undefined) {
      throw new LakehouseDataError(`row ${index}: columns shard_id and sequence_number must be text or null`);
    }
    return {
      event_id: String(object.event_id),
      user_id: String(object.user_id),
      ts: String(object.ts),
      type: String(object.type),
      properties: String(object.properties),
      day: String(object.day),
      source,
      shard_id: shardId,
      sequence_number: sequenceNumber,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Quarantine

export type QuarantinePosition =
  | {
      readonly kind: 'stream';
      readonly shardId: string;
      readonly sequenceNumber: string;
      /** ISO 8601; Kinesis gives epoch seconds, which {@link toQuarantineRecord} converts. */
      readonly approximateArrivalTimestamp: string;
    }
  | { readonly kind: 'import'; readonly file: string; readonly line: number };

/** A record that failed validation, as handed to the lakehouse. */
export interface QuarantineInput {
  /** Names the field and the rule it broke. */
  readonly reason: string;
  /** The record exactly as received. */
  readonly payload: Uint8Array | string;
  readonly position:
    | QuarantinePosition
    | {
        readonly kind: 'stream';
        readonly shardId: string;
        readonly sequenceNumber: string;
        readonly approximateArrivalTimestamp: number | string;
      };
  /** @default now */
  readonly quarantinedAt?: Date;
}

export const QuarantineRecordSchema = z.object({
  reason: z.string(),
  payload: z.string(),
  /** `base64` when the payload was not valid UTF-8, so the exact bytes survive. */
  payload_encoding: z.enum(['utf8', 'base64']),
  position: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('stream'),
      shardId: z.string(),
      sequenceNumber: z.string(),
      approximateArrivalTimestamp: z.string(),
    }),
    z.object({ kind: z.literal('import'), file: z.string(), line: z.int().min(1) }),
  ]),
  quarantined_at: z.string(),
});

export type QuarantineRecord = z.infer<typeof QuarantineRecordSchema>;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The stored form of a quarantined record: text payloads stay readable, other bytes go base64. */
export function toQuarantineRecord(input: QuarantineInput, now: Date = new Date()): QuarantineRecord {
  let payload: string;
  let encoding: 'utf8' | 'base64' = 'utf8';
  if (typeof input.payload === 'string') payload = input.payload;
  else {
    try {
      payload = strictUtf8.decode(input.payload);
    } catch {
      payload = Buffer.from(input.payload).toString('base64');
      encoding = 'base64';
    }
  }
  const position: QuarantinePosition =
    input.position.kind === 'stream'
      ? {
          kind: 'stream',
          shardId: input.position.shardId,
          sequenceNumber: input.position.sequenceNumber,
          approximateArrivalTimestamp:
            typeof input.position.approximateArrivalTimestamp === 'number'
              ? new Date(input.position.approximateArrivalTimestamp * 1000).toISOString()
              : input.position.approximateArrivalTimestamp,
        }
      : input.position;
  return {
    reason: input.reason,
    payload,
    payload_encoding: encoding,
    position,
    quarantined_at: (input.quarantinedAt ?? now).toISOString(),
  };
}

/** The payload's original bytes. */
export function quarantinePayloadBytes(record: QuarantineRecord): Uint8Array {
  return record.payload_encoding === 'base64'
    ? Buffer.from(record.payload, 'base64')
    : utf8.encode(record.payload);
}

// ---------------------------------------------------------------------------------------------
// S3 adapter

export interface EventQuery {
  /** First day, inclusive (`YYYY-MM-DD`). */
  readonly fromDay?: string;
  /** Last day, exclusive. */
  readonly toDay?: string;
  /** Only these customer buckets; all when omitted. */
  readonly buckets?: readonly number[];
}

export interface WriteEventsOptions {
  /**
   * Object name within each partition (`<fileName>.parquet`). The same name on a retry overwrites the
   * same objects, so a batch written twice is stored once: derive it from the batch, not the clock.
   */
  readonly fileName: string;
  /** Recorded on every row. */
  readonly source?: EventSource;
  /** Stream position of each event, by index, for events read from Kinesis. */
  readonly positions?: readonly (StreamPosition | undefined)[];
}

export interface WriteResult {
  readonly keys: string[];
  readonly rows: number;
}

export interface ErasureResult {
  /** Files written back without the customer's rows (deleted ones included). */
  readonly filesRewritten: number;
  /** Files that held only the customer's rows and were deleted. */
  readonly filesDeleted: number;
  readonly rowsRemoved: number;
}

/** How many S3 requests run at once. S3 takes far more; this keeps a Lambda's sockets and memory calm. */
const CONCURRENCY = 8;
const DELETE_BATCH = 1000;

async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  run: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  // One iterator shared by the workers: each takes the next item when it is free.
  const work = items.entries();
  const worker = async () => {
    for (const [index, item] of work) results[index] = await run(item);
  };
  // allSettled: a failure must not leave other writes in flight behind the caller's back (a retry
  // may delete or rewrite the same keys next).
  const settled = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const failure = settled.find((outcome) => outcome.status === 'rejected');
  if (failure) throw failure.reason;
  return results;
}

function* daysBetween(fromDay: string, toDay: string): Generator<string> {
  const end = Date.parse(`${toDay}T00:00:00Z`);
  for (let ms = Date.parse(`${fromDay}T00:00:00Z`); ms < end; ms += 86_400_000) {
    yield new Date(ms).toISOString().slice(0, 10);
  }
}

/** Whether `text` contains `id` as a whole token (not inside a longer id such as u-12 for u-1). */
export function mentionsId(text: string, id: string): boolean {
  if (id.length === 0) return false;
  const isIdChar = (char: string | undefined) => char !== undefined && /[\p{L}\p{N}_-]/u.test(char);
  for (let at = text.indexOf(id); at !== -1; at = text.indexOf(id, at + 1)) {
    if (!isIdChar(text[at - 1]) && !isIdChar(text[at + id.length])) return true;
  }
  return false;
}

/** Replaces every string value equal to `id` with null, deep; reports whether anything changed. */
function scrubValue(value: unknown, id: string): { value: unknown; changed: boolean } {
  if (value === id) return { value: null, changed: true };
  if (Array.isArray(value)) {
    let changed = false;
    const items = value.map((item) => {
      const scrubbed = scrubValue(item, id);
      changed ||= scrubbed.changed;
      return scrubbed.value;
    });
    return { value: changed ? items : value, changed };
  }
  if (isRecord(value)) {
    let changed = false;
    const entries = Object.entries(value).map(([key, item]) => {
      const scrubbed = scrubValue(item, id);
      changed ||= scrubbed.changed;
      return [key, scrubbed.value] as const;
    });
    return { value: changed ? Object.fromEntries(entries) : value, changed };
  }
  return { value, changed: false };
}

function jsonLines(records: readonly unknown[]): string {
  return records.map((record) => `${JSON.stringify(record)}\n`).join('');
}

/**
 * The lakehouse bucket: raw events as Parquet partitioned by day and customer bucket, quarantined
 * records, imported profiles and labels as JSON lines.
 */
export class S3Lakehouse {
  private readonly s3: S3Client;
  private readonly bucket: string;

  constructor(s3: S3Client, bucket: string) {
    this.s3 = s3;
    this.bucket = bucket;
  }

  /** One Parquet object per partition the events fall into, named `<fileName>.parquet`. */
  async writeEvents(events: readonly Event[], options: WriteEventsOptions): Promise<WriteResult> {
    checkFileName(options.fileName);
    if (options.positions !== undefined && options.positions.length !== events.length) {
      throw new ValidationError(
        `positions: expected one per event (${events.length}), got ${options.positions.length}`,
      );
    }
    const rows = events.map((event, index) => toEventRow(event, options.source, options.positions?.[index]));
    const partitions = [...partitionEvents(rows)];
    const keys = await mapLimit(partitions, CONCURRENCY, async ([prefix, partitionRows]) => {
      const key = `${prefix}${withExtension(options.fileName, '.parquet')}`;
      await this.put(key, encodeEvents(partitionRows), 'application/vnd.apache.parquet');
      return key;
    });
    return { keys: keys.sort(), rows: rows.length };
  }

  /**
   * Keys of the raw files a query needs. Days come from listing `raw/` by delimiter from `fromDay`
   * on (one short listing, however long the history), then only the wanted day or day/bucket
   * prefixes are listed.
   */
  async listRawKeys(query: EventQuery = {}): Promise<string[]> {
    if (query.fromDay !== undefined) checkDay('fromDay', query.fromDay);
    if (query.toDay !== undefined) checkDay('toDay', query.toDay);
    const buckets =
      query.buckets === undefined ? undefined : [...new Set(query.buckets)].sort((a, b) => a - b);
    for (const bucket of buckets ?? []) bucketLabel(bucket);

    const days =
      query.fromDay !== undefined &&
      query.toDay !== undefined &&
      this.isShortRange(query.fromDay, query.toDay)
        ? [...daysBetween(query.fromDay, query.toDay)]
        : await this.listDays(query.fromDay, query.toDay);
    const listed =
      buckets === undefined
        ? await mapLimit(days, CONCURRENCY, (day) => this.listDayKeys(day))
        : await mapLimit(
            days.flatMap((day) => buckets.map((bucket) => rawPrefix(day, bucket))),
            CONCURRENCY,
            (prefix) => this.listKeys(prefix),
          );
    return listed
      .flat()
      .filter((key) => parseRawKey(key) !== undefined)
      .sort();
  }

  /** Event rows of a day range and buckets, file by file, fetching a few files ahead. */
  async *readEvents(query: EventQuery = {}): AsyncGenerator<LakehouseEventRow> {
    yield* this.readEventFiles(await this.listRawKeys(query));
  }

  /** Event rows of these raw files, in the given order, fetching a few files ahead. */
  async *readEventFiles(keys: readonly string[]): AsyncGenerator<LakehouseEventRow> {
    const pending: Promise<LakehouseEventRow[]>[] = [];
    let next = 0;
    const fill = () => {
      while (pending.length < CONCURRENCY / 2 && next < keys.length) {
        const key = keys[next++] as string;
        const rows = this.getBytes(key).then((bytes) =>
          decodeEvents(bytes).catch((error: unknown) => {
            throw new LakehouseDataError('not a readable events file', key, { cause: error });
          }),
        );
        // Handled when awaited below; this keeps a failure in a prefetched file from going unobserved.
        rows.catch(() => undefined);
        pending.push(rows);
      }
    };
    fill();
    while (pending.length > 0) {
      const rows = await (pending.shift() as Promise<LakehouseEventRow[]>);
      fill();
      yield* rows;
    }
  }

  async deleteObjects(keys: readonly string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
      const batch = keys.slice(start, start + DELETE_BATCH);
      const response = await this.s3.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      const failed = response.Errors ?? [];
      if (failed.length > 0) {
        const first = failed[0];
        throw new LakehouseDataError(
          `could not delete ${failed.length} object(s), first ${first?.Key}: ${first?.Code} ${first?.Message}`,
        );
      }
    }
  }

  /** One JSON-lines object per day of `quarantined_at`. */
  async writeQuarantine(records: readonly QuarantineInput[], fileName: string): Promise<WriteResult> {
    checkFileName(fileName);
    const now = new Date();
    const byDay = new Map<string, QuarantineRecord[]>();
    for (const input of records) {
      const record = toQuarantineRecord(input, now);
      const day = dayOf(record.quarantined_at);
      const group = byDay.get(day);
      if (group === undefined) byDay.set(day, [record]);
      else group.push(record);
    }
    const keys = await mapLimit([...byDay], CONCURRENCY, async ([day, dayRecords]) => {
      const key = quarantineKey(day, fileName);
      await this.put(key, jsonLines(dayRecords), 'application/x-ndjson');
      return key;
    });
    return { keys: keys.sort(), rows: records.length };
  }

  async *readQuarantine(query: Pick<EventQuery, 'fromDay' | 'toDay'> = {}): AsyncGenerator<QuarantineRecord> {
    const from = query.fromDay === undefined ? undefined : checkDay('fromDay', query.fromDay);
    const to = query.toDay === undefined ? undefined : checkDay('toDay', query.toDay);
    for (const key of await this.listQuarantineKeys(from, to)) {
      yield* this.readJsonLines(key, (value) => {
        const parsed = QuarantineRecordSchema.safeParse(value, { reportInput: true });
        return parsed.success
          ? { ok: true, value: parsed.data }
          : { ok: false, reason: formatIssues(parsed.error, 'record') };
      });
    }
  }

  async writeProfiles(
    dataset: string,
    profiles: readonly ImportedProfile[],
    fileName: string,
  ): Promise<WriteResult> {
    const key = profilesKey(dataset, fileName);
    await this.put(key, jsonLines(profiles), 'application/x-ndjson');
    return { keys: [key], rows: profiles.length };
  }

  async *readProfiles(dataset: string): AsyncGenerator<ImportedProfile> {
    for await (const key of this.listKeysIterable(`${PROFILES_PREFIX}dataset=${checkDataset(dataset)}/`)) {
      yield* this.readJsonLines(key, (value) => {
        const parsed = parseImportedProfile(value);
        return parsed.ok ? { ok: true, value: parsed.profile } : parsed;
      });
    }
  }

  async writeLabels(
    dataset: string,
    labels: readonly ImportedLabel[],
    fileName: string,
  ): Promise<WriteResult> {
    const key = labelsKey(dataset, fileName);
    await this.put(key, jsonLines(labels), 'application/x-ndjson');
    return { keys: [key], rows: labels.length };
  }

  async *readLabels(dataset: string): AsyncGenerator<ImportedLabel> {
    for await (const key of this.listKeysIterable(`${LABELS_PREFIX}dataset=${checkDataset(dataset)}/`)) {
      yield* this.readJsonLines(key, (value) => {
        const parsed = parseImportedLabel(value);
        return parsed.ok ? { ok: true, value: parsed.label } : parsed;
      });
    }
  }

  /**
   * Removes a customer from the lakehouse. Raw events: only the files of the customer's bucket are
   * read (all days). Quarantine, profiles and labels are not partitioned by customer, so all of them
   * are read, and only files that held the id are written back. Other customers' profiles that point
   * at the id (`referred_by`) keep their row with the reference set to null.
   *
   * Not covered: other customers' raw events that name the id in their properties (a referral's
   * `referred_user_id`), which live in other buckets, and training snapshots.
   */
  async eraseCustomer(userId: string): Promise<ErasureResult> {
    if (userId.length === 0) throw new ValidationError('userId: must not be empty');
    const bucket = customerBucket(userId);
    const days = await this.listDays(undefined, undefined);
    const rawKeys = (
      await mapLimit(days, CONCURRENCY, (day) => this.listKeys(rawPrefix(day, bucket)))
    ).flat();
    const rawResults = await mapLimit(rawKeys, CONCURRENCY, async (key) => {
      const rows = await decodeEvents(await this.getBytes(key));
      const kept = rows.filter((row) => row.user_id !== userId);
      const removed = rows.length - kept.length;
      if (removed === 0) return { removed, rewritten: false, deleted: false };
      if (kept.length === 0) {
        await this.deleteObjects([key]);
        return { removed, rewritten: true, deleted: true };
      }
      await this.put(key, encodeEvents(kept), 'application/vnd.apache.parquet');
      return { removed, rewritten: true, deleted: false };
    });

    const jsonKeys = [
      ...(await this.listQuarantineKeys(undefined, undefined)),
      ...(await this.listKeys(PROFILES_PREFIX)),
      ...(await this.listKeys(LABELS_PREFIX)),
    ];
    const jsonResults = await mapLimit(jsonKeys, CONCURRENCY, (key) => this.eraseFromJsonLines(key, userId));

    const all = [...rawResults, ...jsonResults];
    return {
      filesRewritten: all.filter((result) => result.rewritten).length,
      filesDeleted: all.filter((result) => result.deleted).length,
      rowsRemoved: all.reduce((sum, result) => sum + result.removed, 0),
    };
  }

  private async eraseFromJsonLines(
    key: string,
    userId: string,
  ): Promise<{ removed: number; rewritten: boolean; deleted: boolean }> {
    const text = await this.getText(key);
    const quarantine = key.startsWith(QUARANTINE_PREFIX);
    // Quarantined payloads may be base64, so only profile and label files can be skipped by a text search.
    const escaped = JSON.stringify(userId).slice(1, -1);
    if (!quarantine && !text.includes(userId) && !text.includes(escaped)) {
      return { removed: 0, rewritten: false, deleted: false };
    }
    const kept: string[] = [];
    let removed = 0;
    let changed = false;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        value = undefined;
      }
      if (quarantine) {
        // A quarantined payload is broken by definition, so the id can only be looked for as text.
        const record = QuarantineRecordSchema.safeParse(value);
        const payload = record.success ? new TextDecoder().decode(quarantinePayloadBytes(record.data)) : line;
        if (mentionsId(payload, userId) || mentionsId(record.success ? record.data.reason : line, userId)) {
          removed += 1;
          changed = true;
        } else kept.push(line);
        continue;
      }
      if (!isRecord(value)) {
        if (mentionsId(line, userId)) {
          removed += 1;
          changed = true;
        } else kept.push(line);
        continue;
      }
      if (value.user_id === userId) {
        removed += 1;
        changed = true;
        continue;
      }
      const scrubbed = scrubValue(value, userId);
      if (scrubbed.changed) changed = true;
      kept.push(scrubbed.changed ? JSON.stringify(scrubbed.value) : line);
    }
    if (!changed) return { removed: 0, rewritten: false, deleted: false };
    if (kept.length === 0) {
      await this.deleteObjects([key]);
      return { removed, rewritten: true, deleted: true };
    }
    await this.put(key, kept.map((line) => `${line}\n`).join(''), 'application/x-ndjson');
    return { removed, rewritten: true, deleted: false };
  }

  /** Short ranges are enumerated; longer ones are listed, so an open-ended range costs one listing. */
  private isShortRange(fromDay: string, toDay: string): boolean {
    return Date.parse(`${toDay}T00:00:00Z`) - Date.parse(`${fromDay}T00:00:00Z`) <= 31 * 86_400_000;
  }

  /**
   * Days that have raw files, within [fromDay, toDay): one delimiter listing, which S3 answers with a
   * common prefix per day. s3rver (the local cloud) returns no common prefixes for keys nested more
   * than one level below them, so when that listing comes back empty the keys themselves are listed.
   */
  private async listDays(fromDay: string | undefined, toDay: string | undefined): Promise<string[]> {
    const startAfter = fromDay === undefined ? undefined : `${RAW_PREFIX}dt=${fromDay}`;
    const inRange = (day: string) =>
      (fromDay === undefined || day >= fromDay) && (toDay === undefined || day < toDay);
    const days: string[] = [];
    let answered = false;
    let token: string | undefined;
    do {
      const response = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: `${RAW_PREFIX}dt=`,
          Delimiter: '/',
          // `raw/dt=2025-01-01` sorts before `raw/dt=2025-01-01/`, so the first day is included.
          StartAfter: startAfter,
          ContinuationToken: token,
        }),
      );
      answered ||= (response.CommonPrefixes?.length ?? 0) > 0 || (response.Contents?.length ?? 0) > 0;
      let pastRange = false;
      for (const common of response.CommonPrefixes ?? []) {
        const day = /^raw\/dt=(\d{4}-\d{2}-\d{2})\/$/.exec(common.Prefix ?? '')?.[1];
        if (day !== undefined && toDay !== undefined && day >= toDay) pastRange = true;
        if (day !== undefined && inRange(day)) days.push(day);
      }
      token = response.IsTruncated && !pastRange ? response.NextContinuationToken : undefined;
    } while (token !== undefined);
    if (answered) return days;

    return this.discoverDaysByKeys(fromDay, toDay);
  }

  /**
   * The days of the raw files, found from the keys themselves: a listing that comes back truncated
   * is split by the next character of the date, down to whole days. Only reached when the delimiter
   * listing found nothing, so in S3 it costs one empty request. It exists for s3rver, which cannot
   * page a listing (its continuation token needs DES, which OpenSSL 3 lacks): no listing here needs
   * a second page, and ListObjects (v1) reports a truncation instead of failing.
   */
  private async discoverDaysByKeys(
    fromDay: string | undefined,
    toDay: string | undefined,
  ): Promise<string[]> {
    const root = `${RAW_PREFIX}dt=`;
    const found = new Set<string>();
    const overlapsRange = (partial: string) =>
      (fromDay === undefined || partial >= fromDay.slice(0, partial.length)) &&
      (toDay === undefined || partial <= toDay.slice(0, partial.length));
    const visit = async (partial: string): Promise<void> => {
      const response = await this.s3.send(
        new ListObjectsCommand({ Bucket: this.bucket, Prefix: `${root}${partial}`, MaxKeys: 1000 }),
      );
      for (const object of response.Contents ?? []) {
        const day = parseRawKey(object.Key ?? '')?.day;
        if (
          day !== undefined &&
          (fromDay === undefined || day >= fromDay) &&
          (toDay === undefined || day < toDay)
        ) {
          found.add(day);
        }
      }
      // A truncated listing of one whole day already proves that the day exists.
      if (!response.IsTruncated || partial.length >= 10) return;
      const next = partial.length === 4 || partial.length === 7 ? ['-'] : [...'0123456789'];
      for (const character of next) {
        if (overlapsRange(partial + character)) await visit(partial + character);
      }
    };
    await visit('');
    return [...found].sort();
  }

  /**
   * Keys of one day. When the day cannot be listed in one go (s3rver fails on more than 1000 keys),
   * it is listed bucket by bucket instead.
   */
  private async listDayKeys(day: string): Promise<string[]> {
    try {
      return await this.listKeys(`${RAW_PREFIX}dt=${day}/`);
    } catch (error) {
      if (!(error instanceof Error) || error.name !== 'InternalError') throw error;
      const prefixes = Array.from({ length: LAKEHOUSE_BUCKETS }, (_, bucket) => rawPrefix(day, bucket));
      return (await mapLimit(prefixes, CONCURRENCY, (prefix) => this.listKeys(prefix))).flat();
    }
  }

  /**
   * Quarantine keys, day by day. Quarantine files sit directly below their day, which even s3rver
   * lists by delimiter, so no listing has to hold more than one day.
   */
  private async listQuarantineKeys(
    fromDay: string | undefined,
    toDay: string | undefined,
  ): Promise<string[]> {
    const root = `${QUARANTINE_PREFIX}dt=`;
    const days: string[] = [];
    let token: string | undefined;
    do {
      const response = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: root,
          Delimiter: '/',
          StartAfter: fromDay === undefined ? undefined : `${root}${fromDay}`,
          ContinuationToken: token,
        }),
      );
      for (const common of response.CommonPrefixes ?? []) {
        const day = /^quarantine\/dt=(\d{4}-\d{2}-\d{2})\/$/.exec(common.Prefix ?? '')?.[1];
        if (
          day !== undefined &&
          (fromDay === undefined || day >= fromDay) &&
          (toDay === undefined || day < toDay)
        ) {
          days.push(day);
        }
      }
      token = response.IsTruncated ? response.NextContinuationToken : undefined;
    } while (token !== undefined);
    const listed = await mapLimit(days, CONCURRENCY, (day) => this.listKeys(`${root}${day}/`));
    return listed.flat().sort();
  }

  private async listKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const key of this.listKeysIterable(prefix)) keys.push(key);
    return keys;
  }

  private async *listKeysIterable(prefix: string): AsyncGenerator<string> {
    let token: string | undefined;
    do {
      const response = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of response.Contents ?? []) if (object.Key !== undefined) yield object.Key;
      token = response.IsTruncated ? response.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  private async put(key: string, body: Uint8Array | string, contentType: string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }

  private async getBytes(key: string): Promise<Uint8Array> {
    const response = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    if (response.Body === undefined) throw new LakehouseDataError('object has no body', key);
    return response.Body.transformToByteArray();
  }

  private async getText(key: string): Promise<string> {
    return new TextDecoder().decode(await this.getBytes(key));
  }

  private async *readJsonLines<T>(
    key: string,
    parse: (value: unknown) => { ok: true; value: T } | { ok: false; reason: string },
  ): AsyncGenerator<T> {
    const text = await this.getText(key);
    let lineNumber = 0;
    for (const line of text.split('\n')) {
      lineNumber += 1;
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        throw new LakehouseDataError(`line ${lineNumber}: not valid JSON`, key, { cause: error });
      }
      const parsed = parse(value);
      if (!parsed.ok) throw new LakehouseDataError(`line ${lineNumber}: ${parsed.reason}`, key);
      yield parsed.value;
    }
  }
}
