import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  type _Record,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { z } from 'zod';
import { ChurnRadarError } from '../../functions/shared/errors.js';
import { type LocalHandler, lambdaContext } from './lambda.js';

/**
 * A local stand-in for Lambda's Kinesis event-source mapping (ESM): one poller per shard, batches
 * delivered in order with one batch in flight per shard, and AWS's error handling (retries,
 * ReportBatchItemFailures, BisectBatchOnFunctionError, on-failure destination).
 *
 * Semantics chosen where the AWS documentation leaves room (each mirrors what the docs do say):
 * - MaximumRetryAttempts counts retries, not invocations: N allows N + 1 invocations of a batch.
 * - A function error with bisection on splits a batch of two or more records into halves
 *   (the first half gets the extra record) and processes them in order; the split is not a retry
 *   ("splitting batches doesn't consume the retry quota"). Each half starts its own retry count at 0
 *   and is split again on error, so a bad record ends up alone, where retries then count. A
 *   one-record batch cannot be split and is retried.
 * - A partial batch response commits the records before the lowest reported sequence number and
 *   retries the rest of the same batch; that counts as a retry, with or without bisection (with it,
 *   AWS "bisects at the returned sequence number", which is the same cut).
 * - A malformed partial response (empty, null or unknown itemIdentifier, a non-list) is a complete
 *   failure of the batch and takes the function-error path, bisection included.
 * - Exhausted batches are described in S3 with AWS's stream invocation record (metadata only; the
 *   payload AWS adds for S3 destinations is left out) and then skipped, which moves the checkpoint.
 * - The batching window opens when the first record of a batch is read, not when polling starts,
 *   so an idle shard does not invoke early with a half-empty batch.
 * - Not modelled: parallelization factor, tumbling windows, filters, maximum record age, the 6 MB
 *   payload cap, function timeouts and concurrency limits.
 */

/** Where a shard is read from when there is no checkpoint for it. */
export type StartingPosition = 'TRIM_HORIZON' | 'LATEST';

export type MappingLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Receives what the mapping has to say; `detail` carries identifiers (shard, sequence numbers). */
export type MappingLogger = (
  level: MappingLogLevel,
  message: string,
  detail?: Readonly<Record<string, unknown>>,
) => void;

/** The handler shape Lambda uses for Kinesis sources. */
// biome-ignore lint/suspicious/noConfusingVoidType: the `aws-lambda` KinesisStreamHandler returns exactly this union.
export type KinesisLocalHandler = LocalHandler<KinesisStreamEvent, KinesisStreamBatchResponse | void>;

export interface KinesisEventSourceMappingOptions {
  /** Client for the stream's Kinesis endpoint (the local cloud's, or AWS). */
  readonly kinesis: KinesisClient;
  readonly streamName: string;
  /** Used for the Lambda context and ARNs. */
  readonly functionName: string;
  readonly handler: KinesisLocalHandler;
  /** Most records in one invocation (AWS allows 1 to 10,000). @default 100 */
  readonly batchSize?: number;
  /** How long to keep reading to fill a batch once its first record is in (0 to 300). @default 0 */
  readonly maximumBatchingWindowSeconds?: number;
  /** Ignored for a shard that has a checkpoint. @default 'TRIM_HORIZON' */
  readonly startingPosition?: StartingPosition;
  /** Honour `batchItemFailures` in the handler's response (FunctionResponseTypes). @default false */
  readonly reportBatchItemFailures?: boolean;
  /** Split a batch in two when the handler throws. @default false */
  readonly bisectBatchOnFunctionError?: boolean;
  /** Retries before a batch is sent to the on-failure destination and skipped; -1 is infinite. @default -1 */
  readonly maximumRetryAttempts?: number;
  /** Where to describe exhausted batches; without it they are skipped with a warning. @default none */
  readonly onFailure?: { readonly s3: S3Client; readonly bucket: string };
  /**
   * JSON file for per-shard checkpoints, written after every committed batch and read at start,
   * so a restarted mapping resumes after the last committed record. @default none (in memory only)
   */
  readonly checkpointFile?: string;
  /** Wait between reads of a shard that is at its tip. @default 200 */
  readonly pollIntervalMs?: number;
  /** Wait before retrying a failed batch; AWS waits longer, tests want speed. @default 50 */
  readonly retryDelayMs?: number;
  /**
   * The mapping's id, used in on-failure object keys. @default the one in the checkpoint file,
   * else a random UUID
   */
  readonly uuid?: string;
  /** Region in event records and ARNs. @default the Kinesis client's region */
  readonly region?: string;
  /** @default warnings and errors to the console */
  readonly logger?: MappingLogger;
}

/** Counters since start; retries and re-reads mean delivered can exceed committed. */
export interface KinesisEventSourceMappingStats {
  readonly invocations: number;
  /** Records sent to the handler, counting every retry and half. */
  readonly recordsDelivered: number;
  /** Records the handler acknowledged (a successful invocation, or before a reported failure). */
  readonly recordsCommitted: number;
  /** Invocations repeated because of an error or a partial failure; splits are not counted. */
  readonly retries: number;
  readonly bisections: number;
  /** Failed-batch descriptions written to the on-failure destination. */
  readonly onFailureBatches: number;
  /** Records skipped after exhausting their retries, with or without a destination. */
  readonly discardedRecords: number;
  /** GetRecords / GetShardIterator calls throttled or failed transiently, then retried. */
  readonly readErrors: number;
}

/** Where a shard resumes: at or after a sequence number, or nowhere once it is closed and read. */
export type ShardCheckpoint =
  | { readonly type: 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER'; readonly sequenceNumber: string }
  | { readonly type: 'SHARD_END' };

/** The document AWS sends to an on-failure destination for a Kinesis batch. */
export interface KinesisFailedBatchRecord {
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: 'RetryAttemptsExhausted';
    readonly approximateInvokeCount: number;
  };
  readonly responseContext: {
    readonly statusCode: number;
    readonly executedVersion: string;
    /** Set when the handler threw; absent when it returned a response that failed the batch. */
    readonly functionError?: 'Unhandled';
  };
  readonly version: '1.0';
  readonly timestamp: string;
  readonly KinesisBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly approximateArrivalOfFirstRecord: string;
    readonly approximateArrivalOfLastRecord: string;
    readonly batchSize: number;
    readonly streamArn: string;
  };
}

/** Misuse of the mapping, a checkpoint file from elsewhere, or a drain that ran out of time. */
export class KinesisEventSourceMappingError extends ChurnRadarError {
  constructor(message: string, code: string, options?: ErrorOptions) {
    // Local tooling only: the status code never reaches an API.
    super(message, code, 500, options);
  }
}

/** Emulator account id, the one `lambda.ts` uses in function ARNs. */
const ACCOUNT_ID = '000000000000';
/** Longest back-off after repeated read errors, so a throttled shard still makes progress soon after. */
const MAX_READ_BACKOFF_MS = 5_000;
/** Errors that retrying cannot fix: the stream is gone or we may not read it. */
const FATAL_READ_ERRORS = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'InvalidArgumentException',
]);

const CheckpointFileSchema = z.object({
  version: z.literal(1),
  streamName: z.string(),
  mappingUuid: z.string(),
  shards: z.record(
    z.string(),
    z.discriminatedUnion('type', [
      z.object({
        type: z.enum(['AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER']),
        sequenceNumber: z.string().min(1),
      }),
      z.object({ type: z.literal('SHARD_END') }),
    ]),
  ),
});

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

interface PendingRecord {
  readonly sequenceNumber: string;
  readonly arrivalMs: number;
  readonly event: KinesisStreamRecord;
}

interface ShardState {
  readonly shardId: string;
  readonly parentIds: readonly string[];
  /** Where to ask for a new iterator if the current one expires or was never acquired. */
  position: ShardCheckpoint | { readonly type: StartingPosition };
  iterator: string | undefined;
  /** Set once the shard is closed and every record in it is committed or skipped. */
  ended: boolean;
  readonly endedSignal: Deferred;
  /** Read tick of the last read that found the shard at its tip with nothing buffered or in flight. */
  caughtUpTick: number;
}

/** A batch, or the part of one, that is waiting for a successful invocation. */
interface WorkItem {
  records: readonly PendingRecord[];
  retries: number;
  invokes: number;
  lastRequestId: string;
  lastFunctionArn: string;
  lastFunctionError: boolean;
}

type Outcome =
  | { readonly kind: 'success' }
  | { readonly kind: 'partial'; readonly index: number }
  | { readonly kind: 'failure'; readonly functionError: boolean; readonly reason: string };

type MutableStats = {
  -readonly [K in keyof KinesisEventSourceMappingStats]: KinesisEventSourceMappingStats[K];
};

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function defaultLogger(
  level: MappingLogLevel,
  message: string,
  detail?: Readonly<Record<string, unknown>>,
): void {
  if (level === 'warn') console.warn(`[kinesis-esm] ${message}`, detail ?? '');
  if (level === 'error') console.error(`[kinesis-esm] ${message}`, detail ?? '');
}

function checkInteger(value: number, name: string, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new KinesisEventSourceMappingError(
      `${name} must be an integer from ${min} to ${max}, got ${value}`,
      'InvalidMappingOptions',
    );
  }
}

/** `2024-05-01T13.04.59`: AWS's object-name timestamp, colons replaced so the key stays path-friendly. */
function objectTimestamp(date: Date): { day: string; stamp: string } {
  const iso = date.toISOString();
  const [yyyy, mm, dd] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10)];
  return {
    day: `${yyyy}/${mm}/${dd}`,
    stamp: `${iso.slice(0, 10)}T${iso.slice(11, 19).replaceAll(':', '.')}`,
  };
}

/**
 * Reads the handler's response as Lambda does: only `batchItemFailures` matters, an empty or
 * missing list is success, and one bad identifier fails the whole batch.
 */
function interpretResponse(response: unknown, indexBySequence: ReadonlyMap<string, number>): Outcome {
  if (typeof response !== 'object' || response === null || !('batchItemFailures' in response)) {
    return { kind: 'success' };
  }
  const failures = response.batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'success' };
  if (!Array.isArray(failures)) {
    return { kind: 'failure', functionError: false, reason: 'batchItemFailures is not a list' };
  }
  let lowest = Number.POSITIVE_INFINITY;
  for (const failure of failures) {
    const id: unknown =
      typeof failure === 'object' && failure !== null && 'itemIdentifier' in failure
        ? failure.itemIdentifier
        : undefined;
    if (typeof id !== 'string' || id === '') {
      return {
        kind: 'failure',
        functionError: false,
        reason: 'a batchItemFailures entry has no itemIdentifier',
      };
    }
    const index = indexBySequence.get(id);
    if (index === undefined) {
      return { kind: 'failure', functionError: false, reason: `itemIdentifier ${id} is not in the batch` };
    }
    lowest = Math.min(lowest, index);
  }
  return lowest === Number.POSITIVE_INFINITY ? { kind: 'success' } : { kind: 'partial', index: lowest };
}

export class KinesisEventSourceMapping {
  private readonly kinesis: KinesisClient;
  private readonly streamName: string;
  private readonly functionName: string;
  private readonly handler: KinesisLocalHandler;
  private readonly batchSize: number;
  private readonly batchingWindowMs: number;
  private readonly startingPosition: StartingPosition;
  private readonly reportBatchItemFailures: boolean;
  private readonly bisectBatchOnFunctionError: boolean;
  private readonly maximumRetryAttempts: number;
  private readonly onFailure: KinesisEventSourceMappingOptions['onFailure'];
  private readonly checkpointFile: string | undefined;
  private readonly pollIntervalMs: number;
  private readonly retryDelayMs: number;
  private readonly log: MappingLogger;
  private readonly configuredUuid: string | undefined;
  private readonly configuredRegion: string | undefined;

  private mappingUuid: string;
  private region = '';
  private streamArn = '';
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private readonly abort = new AbortController();
  private readonly stopped: Promise<void>;
  private readonly shards = new Map<string, ShardState>();
  private readonly loops: Promise<void>[] = [];
  private readonly checkpointState = new Map<string, ShardCheckpoint>();
  private persistChain: Promise<void> = Promise.resolve();
  private discovery: Promise<void> | undefined;
  private readTick = 0;
  private fatalError: unknown;
  private readonly counters: MutableStats = {
    invocations: 0,
    recordsDelivered: 0,
    recordsCommitted: 0,
    retries: 0,
    bisections: 0,
    onFailureBatches: 0,
    discardedRecords: 0,
    readErrors: 0,
  };

  constructor(options: KinesisEventSourceMappingOptions) {
    if (!options.streamName) {
      throw new KinesisEventSourceMappingError('streamName must not be empty', 'InvalidMappingOptions');
    }
    if (!options.functionName) {
      throw new KinesisEventSourceMappingError('functionName must not be empty', 'InvalidMappingOptions');
    }
    this.batchSize = options.batchSize ?? 100;
    checkInteger(this.batchSize, 'batchSize', 1, 10_000);
    const windowSeconds = options.maximumBatchingWindowSeconds ?? 0;
    if (!(windowSeconds >= 0 && windowSeconds <= 300)) {
      throw new KinesisEventSourceMappingError(
        `maximumBatchingWindowSeconds must be from 0 to 300, got ${windowSeconds}`,
        'InvalidMappingOptions',
      );
    }
    this.maximumRetryAttempts = options.maximumRetryAttempts ?? -1;
    checkInteger(this.maximumRetryAttempts, 'maximumRetryAttempts', -1, 10_000);
    this.pollIntervalMs = options.pollIntervalMs ?? 200;
    checkInteger(this.pollIntervalMs, 'pollIntervalMs', 1, 60_000);
    this.retryDelayMs = options.retryDelayMs ?? 50;
    checkInteger(this.retryDelayMs, 'retryDelayMs', 0, 600_000);
    if (options.onFailure && !options.onFailure.bucket) {
      throw new KinesisEventSourceMappingError('onFailure.bucket must not be empty', 'InvalidMappingOptions');
    }

    this.kinesis = options.kinesis;
    this.streamName = options.streamName;
    this.functionName = options.functionName;
    this.handler = options.handler;
    this.batchingWindowMs = Math.round(windowSeconds * 1000);
    this.startingPosition = options.startingPosition ?? 'TRIM_HORIZON';
    this.reportBatchItemFailures = options.reportBatchItemFailures ?? false;
    this.bisectBatchOnFunctionError = options.bisectBatchOnFunctionError ?? false;
    this.onFailure = options.onFailure;
    this.checkpointFile = options.checkpointFile;
    this.log = options.logger ?? defaultLogger;
    this.configuredUuid = options.uuid;
    this.configuredRegion = options.region;
    this.mappingUuid = options.uuid ?? randomUUID();
    this.stopped = new Promise((resolve) => this.abort.signal.addEventListener('abort', () => resolve()));
  }

  /** The mapping's id, as in on-failure object keys; settled by `start()` when a checkpoint file has one. */
  get uuid(): string {
    return this.mappingUuid;
  }

  get eventSourceArn(): string {
    return this.streamArn;
  }

  get stats(): KinesisEventSourceMappingStats {
    return { ...this.counters };
  }

  /** Committed positions by shard id, as they would be written to the checkpoint file. */
  get checkpoints(): Readonly<Record<string, ShardCheckpoint>> {
    return Object.fromEntries(this.checkpointState);
  }

  /**
   * Lists the shards, reads the checkpoint file, and positions every shard that has no open parent
   * before returning, so records put after `start()` resolves are seen even from LATEST.
   */
  async start(): Promise<void> {
    if (this.state !== 'new') {
      throw new KinesisEventSourceMappingError(
        `cannot start a mapping that is ${this.state}; create a new one`,
        'MappingState',
      );
    }
    this.state = 'running';
    try {
      this.region = this.configuredRegion ?? (await this.kinesis.config.region());
      this.streamArn = `arn:aws:kinesis:${this.region}:${ACCOUNT_ID}:stream/${this.streamName}`;
      await this.loadCheckpoints();
      const listed = await this.listShards();
      const listedIds = new Set(listed.map((shard) => shard.ShardId ?? ''));
      const states = listed.map((shard) => this.addShard(shard, listedIds));
      // Parents first: a child starts only once they are read to their end.
      await Promise.all(
        states
          .filter((shard) => this.parentsEnded(shard))
          .map(async (shard) => {
            shard.iterator = await this.acquireIterator(shard);
          }),
      );
      for (const shard of states) this.loops.push(this.runShard(shard));
      this.log('info', 'mapping started', {
        uuid: this.uuid,
        stream: this.streamName,
        shards: listed.length,
      });
    } catch (error) {
      this.state = 'stopped';
      this.abort.abort();
      throw error;
    }
  }

  /**
   * Resolves once every shard has read to where the stream ended when `drain` was called, with no
   * batch in flight or waiting for a retry at that point. Records put after the call may still be
   * in flight. Rejects on timeout, on a shard that failed for good, or when the mapping stops.
   */
  async drain(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.state !== 'running') {
      throw new KinesisEventSourceMappingError(
        `cannot drain a mapping that is ${this.state}`,
        'MappingState',
      );
    }
    const timeoutMs = options.timeoutMs ?? 30_000;
    const drainTick = this.readTick;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.fatalError !== undefined) {
        throw new KinesisEventSourceMappingError(
          `a shard poller failed: ${errorMessage(this.fatalError)}`,
          'ShardPollerFailed',
          { cause: this.fatalError },
        );
      }
      if (this.state !== 'running') {
        throw new KinesisEventSourceMappingError('the mapping stopped while draining', 'MappingState');
      }
      const pending = [...this.shards.values()].filter(
        (shard) => !shard.ended && shard.caughtUpTick <= drainTick,
      );
      if (pending.length === 0) return;
      if (Date.now() >= deadline) {
        throw new KinesisEventSourceMappingError(
          `drain timed out after ${timeoutMs} ms; shards still behind: ${pending.map((s) => s.shardId).join(', ')}`,
          'DrainTimeout',
        );
      }
      await sleep(Math.min(20, this.pollIntervalMs), this.abort.signal);
    }
  }

  /**
   * Stops reading, lets an invocation in flight finish (and commits it if it succeeded), and writes
   * the last checkpoints. Batches read but not yet committed are read again by the next mapping.
   */
  async stop(): Promise<void> {
    if (this.state === 'new') {
      this.state = 'stopped';
      return;
    }
    if (this.state === 'running') {
      this.state = 'stopping';
      this.abort.abort();
    }
    await Promise.allSettled(this.loops);
    await this.persistChain;
    this.state = 'stopped';
    this.log('info', 'mapping stopped', { uuid: this.uuid, stats: this.stats });
  }

  private get stopping(): boolean {
    return this.state !== 'running';
  }

  /** `knownIds`: shards this mapping reads, so their children wait for them and start at TRIM_HORIZON. */
  private addShard(shard: Shard, knownIds: ReadonlySet<string>): ShardState {
    const shardId = shard.ShardId ?? '';
    const existing = this.shards.get(shardId);
    if (existing) return existing;
    const checkpoint = this.checkpointState.get(shardId);
    const state: ShardState = {
      shardId,
      parentIds: [shard.ParentShardId, shard.AdjacentParentShardId].filter((id): id is string => !!id),
      position: checkpoint ?? { type: this.startingPosition },
      iterator: undefined,
      ended: checkpoint?.type === 'SHARD_END',
      endedSignal: deferred(),
      caughtUpTick: 0,
    };
    if (state.ended) state.endedSignal.resolve();
    // Children of parents we read start at their beginning, whatever the starting position says.
    if (!checkpoint && state.parentIds.some((id) => knownIds.has(id)))
      state.position = { type: 'TRIM_HORIZON' };
    this.shards.set(shardId, state);
    return state;
  }

  private parentsEnded(shard: ShardState): boolean {
    return shard.parentIds.every((id) => this.shards.get(id)?.ended ?? true);
  }

  private async runShard(shard: ShardState): Promise<void> {
    try {
      if (!this.parentsEnded(shard)) {
        const parents = shard.parentIds.flatMap((id) => this.shards.get(id)?.endedSignal.promise ?? []);
        await Promise.race([Promise.all(parents), this.stopped]);
        if (this.stopping) return;
      }
      if (shard.ended) return;
      shard.iterator ??= await this.acquireIterator(shard);
      if (shard.iterator === undefined && !this.stopping) {
        throw new Error(`no shard iterator for ${shard.shardId} at ${shard.position.type}`);
      }
      while (!this.stopping && !shard.ended) {
        const { records, closed } = await this.gather(shard);
        // Read but not delivered: the checkpoint still points before these records.
        if (this.stopping) return;
        if (records.length > 0 && !(await this.processBatch(shard, records))) return;
        if (closed) await this.endShard(shard);
      }
    } catch (error) {
      if (this.stopping) return;
      this.fatalError ??= error;
      this.log('error', 'shard poller failed', { shardId: shard.shardId, error: errorMessage(error) });
    }
  }

  /**
   * Reads up to a batch: one read when there is no batching window, otherwise reads until the batch
   * is full or the window, opened by the first record, closes. Waits while the shard is empty.
   */
  private async gather(shard: ShardState): Promise<{ records: PendingRecord[]; closed: boolean }> {
    const records: PendingRecord[] = [];
    let windowClosesAt: number | undefined;
    while (!this.stopping) {
      const tick = ++this.readTick;
      const output = await this.getRecords(shard, this.batchSize - records.length);
      if (!output) break;
      const read = output.Records ?? [];
      for (const record of read) records.push(this.toPendingRecord(shard.shardId, record));
      const last = records.at(-1);
      if (last) shard.position = { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: last.sequenceNumber };
      shard.iterator = output.NextShardIterator;
      if (shard.iterator === undefined) return { records, closed: true };
      if (records.length >= this.batchSize) break;
      const atTip = read.length === 0 && (output.MillisBehindLatest ?? 0) === 0;
      if (records.length === 0) {
        if (atTip) {
          shard.caughtUpTick = tick;
          await sleep(this.pollIntervalMs, this.abort.signal);
        }
        continue;
      }
      if (this.batchingWindowMs === 0) break;
      windowClosesAt ??= Date.now() + this.batchingWindowMs;
      const remaining = windowClosesAt - Date.now();
      if (remaining <= 0) break;
      if (atTip) await sleep(Math.min(this.pollIntervalMs, remaining), this.abort.signal);
    }
    return { records, closed: false };
  }

  /**
   * Delivers one batch until every record is committed or skipped. Returns false when the mapping
   * stopped first; the uncommitted rest is then read again by the next mapping.
   */
  private async processBatch(shard: ShardState, records: readonly PendingRecord[]): Promise<boolean> {
    const queue: WorkItem[] = [this.workItem(records)];
    for (let item = queue[0]; item; item = queue[0]) {
      if (this.stopping) return false;
      const outcome = await this.invoke(item);
      if (outcome.kind === 'success') {
        await this.commit(shard, item.records.length, this.afterLast(item.records));
        queue.shift();
        continue;
      }

      if (outcome.kind === 'partial') {
        const failed = item.records[outcome.index];
        if (!failed) throw new Error(`partial failure index ${outcome.index} outside the batch`);
        // Checkpoint just before the lowest failed record; only the rest is retried.
        await this.commit(shard, outcome.index, {
          type: 'AT_SEQUENCE_NUMBER',
          sequenceNumber: failed.sequenceNumber,
        });
        item.records = item.records.slice(outcome.index);
        this.log('debug', 'partial batch failure', { shardId: shard.shardId, from: failed.sequenceNumber });
      } else if (this.bisectBatchOnFunctionError && item.records.length > 1) {
        const middle = Math.ceil(item.records.length / 2);
        queue.splice(
          0,
          1,
          this.workItem(item.records.slice(0, middle)),
          this.workItem(item.records.slice(middle)),
        );
        this.counters.bisections++;
        this.log('debug', 'bisected batch', {
          shardId: shard.shardId,
          size: item.records.length,
          cause: outcome.reason,
        });
        continue;
      }

      if (this.maximumRetryAttempts !== -1 && item.retries >= this.maximumRetryAttempts) {
        if (!(await this.discard(shard, item))) return false;
        queue.shift();
        continue;
      }
      item.retries++;
      this.counters.retries++;
      await sleep(this.retryDelayMs, this.abort.signal);
    }
    return true;
  }

  private workItem(records: readonly PendingRecord[]): WorkItem {
    return {
      records,
      retries: 0,
      invokes: 0,
      lastRequestId: '',
      lastFunctionArn: '',
      lastFunctionError: false,
    };
  }

  private async invoke(item: WorkItem): Promise<Outcome> {
    const context = lambdaContext(this.functionName);
    // Fresh copies, so a handler that mutates its event cannot change what a retry sees.
    const event: KinesisStreamEvent = {
      Records: item.records.map((record) => ({ ...record.event, kinesis: { ...record.event.kinesis } })),
    };
    item.invokes++;
    item.lastRequestId = context.awsRequestId;
    item.lastFunctionArn = context.invokedFunctionArn;
    this.counters.invocations++;
    this.counters.recordsDelivered += item.records.length;
    let response: unknown;
    try {
      response = await this.handler(event, context);
    } catch (error) {
      item.lastFunctionError = true;
      return { kind: 'failure', functionError: true, reason: errorMessage(error) };
    }
    item.lastFunctionError = false;
    if (!this.reportBatchItemFailures) return { kind: 'success' };
    const indexBySequence = new Map(item.records.map((record, index) => [record.sequenceNumber, index]));
    return interpretResponse(response, indexBySequence);
  }

  private afterLast(records: readonly PendingRecord[]): ShardCheckpoint {
    const last = records.at(-1);
    if (!last) throw new Error('cannot checkpoint an empty batch');
    return { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: last.sequenceNumber };
  }

  private async commit(shard: ShardState, committed: number, checkpoint: ShardCheckpoint): Promise<void> {
    this.counters.recordsCommitted += committed;
    this.checkpointState.set(shard.shardId, checkpoint);
    await this.persistCheckpoints();
  }

  /**
   * Describes an exhausted batch in the on-failure destination, then skips it. Returns false when
   * the mapping stopped before the description could be written, so the records are not lost.
   */
  private async discard(shard: ShardState, item: WorkItem): Promise<boolean> {
    const first = item.records[0];
    const last = item.records.at(-1);
    if (!first || !last) return true;
    const detail = {
      shardId: shard.shardId,
      startSequenceNumber: first.sequenceNumber,
      endSequenceNumber: last.sequenceNumber,
      batchSize: item.records.length,
    };
    if (this.onFailure) {
      const now = new Date();
      const body: KinesisFailedBatchRecord = {
        requestContext: {
          requestId: item.lastRequestId,
          functionArn: item.lastFunctionArn,
          condition: 'RetryAttemptsExhausted',
          approximateInvokeCount: item.invokes,
        },
        responseContext: {
          statusCode: 200,
          executedVersion: '$LATEST',
          ...(item.lastFunctionError ? { functionError: 'Unhandled' as const } : {}),
        },
        version: '1.0',
        timestamp: now.toISOString(),
        KinesisBatchInfo: {
          ...detail,
          approximateArrivalOfFirstRecord: new Date(first.arrivalMs).toISOString(),
          approximateArrivalOfLastRecord: new Date(last.arrivalMs).toISOString(),
          streamArn: this.streamArn,
        },
      };
      const { day, stamp } = objectTimestamp(now);
      const key = `aws/lambda/${this.uuid}/${shard.shardId}/${day}/${stamp}-${randomUUID()}`;
      if (!(await this.writeFailureRecord(key, body))) return false;
      this.counters.onFailureBatches++;
      this.log('info', 'sent failed batch to on-failure destination', { ...detail, key });
    } else {
      this.log('warn', 'skipping records after exhausting retries; no on-failure destination', detail);
    }
    this.counters.discardedRecords += item.records.length;
    this.checkpointState.set(shard.shardId, this.afterLast(item.records));
    await this.persistCheckpoints();
    return true;
  }

  private async writeFailureRecord(key: string, body: KinesisFailedBatchRecord): Promise<boolean> {
    const destination = this.onFailure;
    if (!destination) return false;
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        await destination.s3.send(
          new PutObjectCommand({
            Bucket: destination.bucket,
            Key: key,
            Body: JSON.stringify(body),
            ContentType: 'application/json',
          }),
        );
        return true;
      } catch (error) {
        // Skipping without the description would lose the records silently: keep trying.
        this.log('warn', 'could not write to the on-failure destination; retrying', {
          key,
          attempt,
          error: errorMessage(error),
        });
        await sleep(Math.min(this.retryDelayMs * 2 ** attempt, MAX_READ_BACKOFF_MS), this.abort.signal);
      }
    }
    return false;
  }

  private async endShard(shard: ShardState): Promise<void> {
    shard.ended = true;
    this.checkpointState.set(shard.shardId, { type: 'SHARD_END' });
    await this.persistCheckpoints();
    shard.endedSignal.resolve();
    this.log('info', 'shard closed and read to its end', { shardId: shard.shardId });
    // A closed shard means a reshard: its children may not have existed at start.
    this.discovery ??= this.discoverShards().finally(() => {
      this.discovery = undefined;
    });
    await this.discovery;
  }

  private async discoverShards(): Promise<void> {
    let listed: Shard[];
    try {
      listed = await this.listShards();
    } catch (error) {
      this.log('warn', 'could not list shards after a shard closed', { error: errorMessage(error) });
      return;
    }
    const knownIds = new Set([...this.shards.keys(), ...listed.map((shard) => shard.ShardId ?? '')]);
    for (const shard of listed) {
      if (this.stopping || this.shards.has(shard.ShardId ?? '')) continue;
      this.loops.push(this.runShard(this.addShard(shard, knownIds)));
    }
  }

  private async listShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.kinesis.send(
        new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: this.streamName }),
      );
      shards.push(...(page.Shards ?? []));
      nextToken = page.NextToken;
    } while (nextToken);
    return shards.filter((shard) => shard.ShardId);
  }

  private async acquireIterator(shard: ShardState): Promise<string | undefined> {
    const position = shard.position;
    if (position.type === 'SHARD_END') return undefined;
    return this.withReadRetries(shard, async () => {
      const output = await this.kinesis.send(
        new GetShardIteratorCommand({
          StreamName: this.streamName,
          ShardId: shard.shardId,
          ShardIteratorType: position.type,
          StartingSequenceNumber: 'sequenceNumber' in position ? position.sequenceNumber : undefined,
        }),
      );
      return output.ShardIterator;
    });
  }

  private async getRecords(shard: ShardState, limit: number): Promise<GetRecordsCommandOutput | undefined> {
    for (;;) {
      const iterator = shard.iterator;
      if (iterator === undefined) {
        if (this.stopping) return undefined;
        throw new Error(`shard ${shard.shardId} has no iterator to read from`);
      }
      try {
        return await this.withReadRetries(shard, () =>
          this.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit })),
        );
      } catch (error) {
        if (errorName(error) !== 'ExpiredIteratorException') throw error;
        // A long retry loop can outlive the five-minute iterator; resume from what was read.
        this.log('debug', 'shard iterator expired; acquiring a new one', { shardId: shard.shardId });
        shard.iterator = await this.acquireIterator(shard);
      }
    }
  }

  /** Backs off and retries throttling and transient errors; returns undefined if the mapping stops. */
  private async withReadRetries<T>(shard: ShardState, call: () => Promise<T>): Promise<T | undefined> {
    for (let failures = 0; ; ) {
      try {
        return await call();
      } catch (error) {
        const name = errorName(error);
        if (FATAL_READ_ERRORS.has(name) || name === 'ExpiredIteratorException') throw error;
        failures++;
        this.counters.readErrors++;
        const delay = Math.min(this.pollIntervalMs * 2 ** (failures - 1), MAX_READ_BACKOFF_MS);
        this.log(failures > 3 ? 'warn' : 'debug', 'read failed; backing off', {
          shardId: shard.shardId,
          error: name,
          delayMs: delay,
        });
        await sleep(delay, this.abort.signal);
        if (this.stopping) return undefined;
      }
    }
  }

  private toPendingRecord(shardId: string, record: _Record): PendingRecord {
    const sequenceNumber = record.SequenceNumber;
    if (!sequenceNumber) throw new Error(`shard ${shardId} returned a record without a sequence number`);
    const arrivalMs = record.ApproximateArrivalTimestamp?.getTime() ?? Date.now();
    return {
      sequenceNumber,
      arrivalMs,
      event: {
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: record.PartitionKey ?? '',
          sequenceNumber,
          data: Buffer.from(record.Data ?? new Uint8Array()).toString('base64'),
          approximateArrivalTimestamp: arrivalMs / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${shardId}:${sequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: `arn:aws:iam::${ACCOUNT_ID}:role/${this.functionName}-role`,
        awsRegion: this.region,
        eventSourceARN: this.streamArn,
      },
    };
  }

  private async loadCheckpoints(): Promise<void> {
    const file = this.checkpointFile;
    if (!file) return;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return;
      throw error;
    }
    const parsed = CheckpointFileSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      throw new KinesisEventSourceMappingError(
        `checkpoint file ${file} is not a checkpoint file: ${parsed.error.message}`,
        'InvalidCheckpointFile',
      );
    }
    const document = parsed.data;
    if (document.streamName !== this.streamName) {
      throw new KinesisEventSourceMappingError(
        `checkpoint file ${file} is for stream ${document.streamName}, not ${this.streamName}; use another file`,
        'InvalidCheckpointFile',
      );
    }
    if (this.configuredUuid && this.configuredUuid !== document.mappingUuid) {
      throw new KinesisEventSourceMappingError(
        `checkpoint file ${file} belongs to mapping ${document.mappingUuid}, not ${this.configuredUuid}`,
        'InvalidCheckpointFile',
      );
    }
    this.mappingUuid = document.mappingUuid;
    for (const [shardId, checkpoint] of Object.entries(document.shards))
      this.checkpointState.set(shardId, checkpoint);
  }

  /** Writes are chained so concurrent shards never interleave, and renamed into place so a crash leaves a whole file. */
  private persistCheckpoints(): Promise<void> {
    const file = this.checkpointFile;
    if (!file) return Promise.resolve();
    this.persistChain = this.persistChain.then(async () => {
      const document: z.infer<typeof CheckpointFileSchema> = {
        version: 1,
        streamName: this.streamName,
        mappingUuid: this.uuid,
        shards: this.checkpoints,
      };
      try {
        await mkdir(dirname(file), { recursive: true });
        await writeFile(`${file}.tmp`, `${JSON.stringify(document, null, 2)}\n`);
        await rename(`${file}.tmp`, file);
      } catch (error) {
        // Losing a checkpoint write means re-delivery after a restart, never loss: keep going.
        this.log('warn', 'could not write the checkpoint file', { file, error: errorMessage(error) });
      }
    });
    return this.persistChain;
  }
}
