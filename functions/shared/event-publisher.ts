import { createHash } from 'node:crypto';
import { type KinesisClient, PutRecordsCommand, type PutRecordsResultEntry } from '@aws-sdk/client-kinesis';
import type { Event } from '../../ml/schema/event.js';

/** Kinesis PutRecords limits (data blob + partition key count towards the byte limits). */
export const KINESIS_LIMITS = {
  recordsPerRequest: 500,
  bytesPerRequest: 5 * 1024 * 1024,
  bytesPerRecord: 1024 * 1024,
  partitionKeyChars: 256,
} as const;

export interface EventPublisherOptions {
  /** Attempts per record, the first included. @default 5 */
  readonly maxAttempts?: number;
  /** First retry waits up to this long; each further retry doubles it. @default 100 */
  readonly baseDelayMs?: number;
  /** Cap of one wait. @default 5000 */
  readonly maxDelayMs?: number;
  /** Source of jitter in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** How to wait; tests pass one that records the delays instead. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface PublishFailure {
  readonly event: Event;
  /** Why the record was not stored, e.g. `ProvisionedThroughputExceededException: Rate exceeded (after 5 attempts)`. */
  readonly error: string;
}

export interface PublishResult {
  readonly sent: number;
  readonly failed: PublishFailure[];
}

/** A record ready to send, with its size as Kinesis counts it. */
export interface PendingRecord {
  readonly event: Event;
  readonly data: Uint8Array;
  readonly partitionKey: string;
  readonly bytes: number;
}

const utf8 = new TextEncoder();

/**
 * The customer id, so all of a customer's events go to one shard and are read in order there.
 * Ids longer than Kinesis allows are hashed: still one shard per customer, and deterministic.
 */
export function partitionKeyFor(userId: string): string {
  if (userId.length > 0 && userId.length <= KINESIS_LIMITS.partitionKeyChars) return userId;
  return createHash('sha256').update(userId).digest('hex');
}

export function toPendingRecord(event: Event): PendingRecord {
  const data = utf8.encode(JSON.stringify(event));
  const partitionKey = partitionKeyFor(event.user_id);
  return { event, data, partitionKey, bytes: data.length + utf8.encode(partitionKey).length };
}

/** Splits records, in order, into requests of at most 500 records and 5 MiB. */
export function planBatches<T extends { readonly bytes: number }>(
  records: readonly T[],
  limits: { readonly recordsPerRequest: number; readonly bytesPerRequest: number } = KINESIS_LIMITS,
): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const record of records) {
    if (
      current.length > 0 &&
      (current.length === limits.recordsPerRequest || bytes + record.bytes > limits.bytesPerRequest)
    ) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += record.bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

// Errors that will not go away by waiting: retrying them only delays the report.
const PERMANENT_ERRORS = new Set([
  'ResourceNotFoundException',
  'InvalidArgumentException',
  'ValidationException',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'KMSOptInRequired',
]);

function describeError(error: unknown): { text: string; permanent: boolean } {
  if (error instanceof Error) {
    return { text: `${error.name}: ${error.message}`, permanent: PERMANENT_ERRORS.has(error.name) };
  }
  return { text: String(error), permanent: false };
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends events to a Kinesis stream with PutRecords. Used by the importer and the ingest endpoint,
 * so it knows nothing of either: it takes validated events and says which ones it could not store.
 *
 * Only the entries a response marks as failed are retried, after an exponential backoff with full
 * jitter. A retry can put a customer's later event on the shard before an earlier one that had to
 * be retried; consumers order by `ts`, which every event carries, not by arrival.
 */
export class KinesisEventPublisher {
  private readonly kinesis: KinesisClient;
  private readonly streamName: string;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(kinesis: KinesisClient, streamName: string, options: EventPublisherOptions = {}) {
    const maxAttempts = options.maxAttempts ?? 5;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new Error(`maxAttempts: expected a whole number of at least 1, got ${maxAttempts}`);
    }
    this.kinesis = kinesis;
    this.streamName = streamName;
    this.maxAttempts = maxAttempts;
    this.baseDelayMs = options.baseDelayMs ?? 100;
    this.maxDelayMs = options.maxDelayMs ?? 5000;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? defaultSleep;
  }

  /** Delay before retry number `retry` (1-based): uniform in [0, min(max, base * 2^(retry-1))). */
  backoffMs(retry: number): number {
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (retry - 1));
    return Math.floor(this.random() * ceiling);
  }

  async publish(events: readonly Event[]): Promise<PublishResult> {
    const failed: PublishFailure[] = [];
    let pending: Array<PendingRecord & { lastError?: string }> = [];
    for (const event of events) {
      const record = toPendingRecord(event);
      if (record.bytes > KINESIS_LIMITS.bytesPerRecord) {
        failed.push({
          event,
          error: `record is ${record.bytes.toLocaleString('en-US')} bytes (data + partition key); Kinesis accepts at most ${KINESIS_LIMITS.bytesPerRecord.toLocaleString('en-US')} per record`,
        });
      } else pending.push(record);
    }

    let sent = 0;
    for (let attempt = 1; attempt <= this.maxAttempts && pending.length > 0; attempt++) {
      if (attempt > 1) await this.sleep(this.backoffMs(attempt - 1));
      const retry: typeof pending = [];
      for (const batch of planBatches(pending)) {
        let entries: PutRecordsResultEntry[];
        try {
          const response = await this.kinesis.send(
            new PutRecordsCommand({
              StreamName: this.streamName,
              Records: batch.map((record) => ({ Data: record.data, PartitionKey: record.partitionKey })),
            }),
          );
          entries = response.Records ?? [];
        } catch (error) {
          const { text, permanent } = describeError(error);
          for (const record of batch) {
            if (permanent) failed.push({ event: record.event, error: text });
            else retry.push({ ...record, lastError: text });
          }
          continue;
        }
        batch.forEach((record, index) => {
          const entry = entries[index];
          if (entry === undefined) {
            retry.push({ ...record, lastError: 'the response has no entry for this record' });
          } else if (entry.ErrorCode === undefined) {
            sent += 1;
          } else {
            const text = `${entry.ErrorCode}: ${entry.ErrorMessage ?? 'no message'}`;
            if (PERMANENT_ERRORS.has(entry.ErrorCode)) failed.push({ event: record.event, error: text });
            else retry.push({ ...record, lastError: text });
          }
        });
      }
      pending = retry;
    }
    for (const record of pending) {
      failed.push({
        event: record.event,
        error: `${record.lastError ?? 'not sent'} (after ${this.maxAttempts} attempt${this.maxAttempts === 1 ? '' : 's'})`,
      });
    }
    return { sent, failed };
  }
}
