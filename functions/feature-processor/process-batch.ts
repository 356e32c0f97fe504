import { createHash } from 'node:crypto';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { type Event, parseEventJson } from '../../ml/schema/index.js';
import { type FeatureStore, type StoredDay, storedDayKey } from '../shared/feature-store.js';
import { isAfter, type LakehouseJournal } from '../shared/lakehouse-journal.js';

/** The day-aggregate algebra of ml/features, injected so this use case stays generic and testable. */
export interface DayAlgebra<TDay> {
  emptyDay(): TDay;
  addEvent(day: TDay, event: Event): void;
  mergeDays(a: TDay, b: TDay): TDay;
  dayOf(ts: string): string;
}

/** Where a record came from on the stream: kept with quarantined records so they can be found again. */
export interface StreamPosition {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly approximateArrivalTimestamp: number;
}

export interface QuarantinedRecord {
  readonly reason: string;
  readonly payload: string;
  readonly encoding: 'utf8' | 'base64';
  readonly position: StreamPosition;
}

/** What the processor needs of the lakehouse (functions/shared/lakehouse.ts provides it). */
export interface LakehouseAppender {
  /**
   * The object keys `append` will write for these inputs, so the journal can list them first.
   * `at` stamps quarantined records (and so names their daily file); both calls get the same one.
   */
  plannedKeys(
    events: readonly Event[],
    quarantined: readonly QuarantinedRecord[],
    fileName: string,
    at: Date,
  ): string[];
  append(
    events: readonly { event: Event; position: StreamPosition }[],
    quarantined: readonly QuarantinedRecord[],
    fileName: string,
    at: Date,
  ): Promise<void>;
  deleteObjects(keys: readonly string[]): Promise<void>;
}

export interface ProcessorMetrics {
  count(name: ProcessorMetricName, value: number): void;
}

export type ProcessorMetricName =
  | 'RecordsReceived'
  | 'EventsAccepted'
  | 'RecordsQuarantined'
  | 'DuplicateEvents'
  | 'LateEvents'
  | 'DayItemWrites'
  | 'DayItemConflicts'
  | 'FailedCustomerDays'
  | 'LakehouseRowsWritten';

export interface FeatureProcessorDeps<TDay> {
  readonly featureStore: FeatureStore<TDay>;
  readonly lakehouse: LakehouseAppender;
  readonly journal: LakehouseJournal;
  readonly days: DayAlgebra<TDay>;
  /** Events that arrive later than this after they happened reach the lakehouse only, not the online store. */
  readonly allowedLatenessMs: number;
  readonly metrics: ProcessorMetrics;
  /** Customer-days written at once; bounds the load a batch puts on the table. @default 16 */
  readonly writeConcurrency?: number;
  readonly log?: (message: string, detail: Readonly<Record<string, unknown>>) => void;
}

/** Short, stable hash of an event id: what a day item remembers to recognise an event it already holds. */
export function eventIdHash(eventId: string): string {
  return createHash('sha1').update(eventId).digest('base64url').slice(0, 12);
}

interface DecodedRecord {
  readonly position: StreamPosition;
  readonly event?: Event;
  readonly quarantine?: QuarantinedRecord;
}

function shardOf(record: KinesisStreamRecord): string {
  const separator = record.eventID.lastIndexOf(':');
  return separator > 0 ? record.eventID.slice(0, separator) : 'unknown-shard';
}

function decode(record: KinesisStreamRecord): DecodedRecord {
  const position: StreamPosition = {
    shardId: shardOf(record),
    sequenceNumber: record.kinesis.sequenceNumber,
    approximateArrivalTimestamp: record.kinesis.approximateArrivalTimestamp,
  };
  const bytes = Buffer.from(record.kinesis.data, 'base64');
  const text = bytes.toString('utf8');
  // A payload that does not survive a UTF-8 round trip is binary: keep it byte for byte.
  const isText = Buffer.byteLength(text, 'utf8') === bytes.length && !text.includes('\uFFFD');
  const quarantine = (reason: string): DecodedRecord => ({
    position,
    quarantine: {
      reason,
      payload: isText ? text : record.kinesis.data,
      encoding: isText ? 'utf8' : 'base64',
      position,
    },
  });
  if (!isText) return quarantine('payload is not UTF-8 text');
  const parsed = parseEventJson(text);
  return parsed.ok ? { position, event: parsed.event } : quarantine(parsed.reason);
}

interface CustomerDay {
  readonly userId: string;
  readonly day: string;
  readonly events: Event[];
  /** The first record of this customer-day in the batch: where a retry must restart if its write fails. */
  readonly firstSequence: string;
}

async function mapLimited<T>(
  items: readonly T[],
  limit: number,
  run: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      if (item !== undefined) await run(item);
    }
  });
  await Promise.all(workers);
}

/**
 * The feature processor's use case: one Kinesis batch (one shard) in, the lakehouse appended
 * exactly once, the online store updated once per customer and day, and a partial-failure
 * response that makes Lambda retry from the first customer-day that could not be written.
 *
 * Not Powertools' per-record BatchProcessor on purpose: records are aggregated per customer
 * and day first, so writes grow with customer-days, not with events.
 */
export function makeProcessBatch<TDay>(deps: FeatureProcessorDeps<TDay>) {
  const { days, metrics } = deps;
  const log = deps.log ?? (() => undefined);

  async function appendToLakehouse(shardId: string, decoded: readonly DecodedRecord[]): Promise<void> {
    const entry = await deps.journal.read(shardId);
    if (entry.pendingKeys.length > 0) {
      // A previous attempt died between announcing and committing these: remove its partial output.
      await deps.lakehouse.deleteObjects(entry.pendingKeys);
    }
    const fresh = decoded.filter((record) =>
      isAfter(record.position.sequenceNumber, entry.committedSequence),
    );
    const first = fresh[0];
    const last = fresh[fresh.length - 1];
    if (!first || !last) return;
    const events = fresh.flatMap((record) =>
      record.event ? [{ event: record.event, position: record.position }] : [],
    );
    const quarantined = fresh.flatMap((record) => (record.quarantine ? [record.quarantine] : []));
    const fileName = `${shardId}-${first.position.sequenceNumber}`;
    const at = new Date();
    const keys = deps.lakehouse.plannedKeys(
      events.map((item) => item.event),
      quarantined,
      fileName,
      at,
    );
    await deps.journal.begin(shardId, entry, keys);
    await deps.lakehouse.append(events, quarantined, fileName, at);
    await deps.journal.commit(shardId, last.position.sequenceNumber);
    metrics.count('LakehouseRowsWritten', events.length);
    metrics.count('RecordsQuarantined', quarantined.length);
    if (quarantined.length > 0) {
      log('records quarantined', {
        shardId,
        count: quarantined.length,
        firstReason: quarantined[0]?.reason,
      });
    }
  }

  function groupByCustomerDay(decoded: readonly DecodedRecord[]): CustomerDay[] {
    const seen = new Set<string>();
    const groups = new Map<string, CustomerDay>();
    let duplicates = 0;
    let late = 0;
    for (const record of decoded) {
      const event = record.event;
      if (!event) continue;
      if (seen.has(event.event_id)) {
        duplicates++;
        continue;
      }
      seen.add(event.event_id);
      const lateness = record.position.approximateArrivalTimestamp * 1000 - Date.parse(event.ts);
      if (lateness > deps.allowedLatenessMs) {
        late++;
        continue;
      }
      const day = days.dayOf(event.ts);
      const key = storedDayKey(event.user_id, day);
      let group = groups.get(key);
      if (!group) {
        group = { userId: event.user_id, day, events: [], firstSequence: record.position.sequenceNumber };
        groups.set(key, group);
      }
      group.events.push(event);
    }
    metrics.count('DuplicateEvents', duplicates);
    metrics.count('LateEvents', late);
    return [...groups.values()];
  }

  /** Folds a customer-day's new events into its stored item; returns false when it could not be written. */
  async function writeCustomerDay(group: CustomerDay, stored: StoredDay<TDay> | undefined): Promise<number> {
    let current = stored;
    for (let attempt = 0; attempt < 3; attempt++) {
      const known = new Set(current?.eventIds ?? []);
      const fresh = group.events.filter((event) => !known.has(eventIdHash(event.event_id)));
      if (fresh.length < group.events.length)
        metrics.count('DuplicateEvents', group.events.length - fresh.length);
      if (fresh.length === 0) return 0;
      const aggregate = days.emptyDay();
      for (const event of fresh) days.addEvent(aggregate, event);
      const result = await deps.featureStore.putDay(
        {
          userId: group.userId,
          day: group.day,
          aggregate: current ? days.mergeDays(current.aggregate, aggregate) : aggregate,
          eventIds: [...known, ...fresh.map((event) => eventIdHash(event.event_id))],
          version: current?.version ?? 0,
        },
        current?.version ?? 0,
      );
      if (result === 'written') {
        metrics.count('DayItemWrites', 1);
        return fresh.length;
      }
      metrics.count('DayItemConflicts', 1);
      current = (await deps.featureStore.getDays([group])).get(storedDayKey(group.userId, group.day));
    }
    throw new Error(`customer ${group.userId} day ${group.day}: still conflicting after 3 attempts`);
  }

  return async function processBatch(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
    const first = event.Records[0];
    if (!first) return { batchItemFailures: [] };
    const shardId = shardOf(first);
    const decoded = event.Records.map(decode);
    metrics.count('RecordsReceived', decoded.length);

    // The lakehouse first: if it fails the whole batch is retried, and the journal keeps it exactly-once.
    await appendToLakehouse(shardId, decoded);

    const groups = groupByCustomerDay(decoded);
    const stored = await deps.featureStore.getDays(groups);
    const failedSequences: string[] = [];
    let accepted = 0;
    await mapLimited(groups, deps.writeConcurrency ?? 16, async (group) => {
      try {
        // Read `accepted` only after the await: the workers run concurrently.
        const written = await writeCustomerDay(group, stored.get(storedDayKey(group.userId, group.day)));
        accepted += written;
      } catch (error) {
        failedSequences.push(group.firstSequence);
        log('customer-day not written; Lambda will retry from it', {
          userId: group.userId,
          day: group.day,
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        });
      }
    });
    metrics.count('EventsAccepted', accepted);
    metrics.count('FailedCustomerDays', failedSequences.length);
    if (failedSequences.length === 0) return { batchItemFailures: [] };
    // Lambda restarts from the lowest reported record; everything after it is re-read, and the
    // event-id hashes in each day item make that re-read harmless.
    const lowest = failedSequences.reduce((a, b) => (BigInt(a) < BigInt(b) ? a : b));
    return { batchItemFailures: [{ itemIdentifier: lowest }] };
  };
}
