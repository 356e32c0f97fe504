import type { KinesisStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  type LakehouseAppender,
  makeProcessBatch,
  type ProcessorMetricName,
} from '../../../functions/feature-processor/process-batch.js';
import {
  type FeatureStore,
  type PutDayResult,
  type StoredDay,
  storedDayKey,
} from '../../../functions/shared/feature-store.js';
import type { LakehouseJournal, ShardJournalEntry } from '../../../functions/shared/lakehouse-journal.js';
import { addEvent, type DayAggregate, dayOf, emptyDay, mergeDays } from '../../../ml/features/index.js';
import type { Event } from '../../../ml/schema/index.js';

class MemoryFeatureStore implements FeatureStore<DayAggregate> {
  readonly days = new Map<string, StoredDay<DayAggregate>>();
  failFor = new Set<string>();
  async getDays(keys: readonly { userId: string; day: string }[]) {
    const found = new Map<string, StoredDay<DayAggregate>>();
    for (const key of keys) {
      const day = this.days.get(storedDayKey(key.userId, key.day));
      if (day) found.set(storedDayKey(key.userId, key.day), structuredClone(day));
    }
    return found;
  }
  async putDay(day: StoredDay<DayAggregate>, expectedVersion: number): Promise<PutDayResult> {
    const key = storedDayKey(day.userId, day.day);
    if (this.failFor.has(day.userId)) throw new Error('throttled');
    if ((this.days.get(key)?.version ?? 0) !== expectedVersion) return 'conflict';
    this.days.set(key, { ...structuredClone(day), version: expectedVersion + 1 });
    return 'written';
  }
  async queryDays() {
    return [];
  }
  async getProfile() {
    return undefined;
  }
}

class MemoryLakehouse implements LakehouseAppender {
  readonly rows: Event[] = [];
  readonly quarantined: string[] = [];
  plannedKeys(_events: readonly Event[], _quarantined: readonly unknown[], fileName: string) {
    return [fileName];
  }
  async append(events: readonly { event: Event }[], quarantined: readonly { reason: string }[]) {
    this.rows.push(...events.map((item) => item.event));
    this.quarantined.push(...quarantined.map((record) => record.reason));
  }
  async deleteObjects() {}
}

class MemoryJournal implements LakehouseJournal {
  entry: ShardJournalEntry = { pendingKeys: [] };
  async read() {
    return this.entry;
  }
  async begin(_shard: string, entry: ShardJournalEntry, keys: readonly string[]) {
    this.entry = { committedSequence: entry.committedSequence, pendingKeys: keys };
  }
  async commit(_shard: string, sequenceNumber: string) {
    this.entry = { committedSequence: sequenceNumber, pendingKeys: [] };
  }
}

const event = (id: string, userId: string, ts: string): Event => ({
  event_id: id,
  user_id: userId,
  ts,
  type: 'session_start',
  properties: { device: 'tv' },
});

function kinesisEvent(payloads: readonly (Event | string)[], firstSequence = 100): KinesisStreamEvent {
  const arrival = Date.parse('2026-11-25T00:00:00Z') / 1000;
  return {
    Records: payloads.map((payload, index) => {
      const sequenceNumber = String(firstSequence + index);
      return {
        eventID: `shardId-000000000000:${sequenceNumber}`,
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventName: 'aws:kinesis:record',
        eventSourceARN: 'arn:aws:kinesis:eu-west-1:000000000000:stream/events',
        invokeIdentityArn: 'arn:aws:iam::000000000000:role/x',
        awsRegion: 'eu-west-1',
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: 'k',
          sequenceNumber,
          approximateArrivalTimestamp: arrival,
          data: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)).toString(
            'base64',
          ),
        },
      };
    }),
  };
}

function setup(allowedLatenessMs = 10 * 86_400_000) {
  const store = new MemoryFeatureStore();
  const lakehouse = new MemoryLakehouse();
  const journal = new MemoryJournal();
  const counts = new Map<ProcessorMetricName, number>();
  const processBatch = makeProcessBatch<DayAggregate>({
    featureStore: store,
    lakehouse,
    journal,
    days: { emptyDay, addEvent, mergeDays, dayOf },
    allowedLatenessMs,
    metrics: { count: (name, value) => counts.set(name, (counts.get(name) ?? 0) + value) },
  });
  return { store, lakehouse, journal, counts, processBatch };
}

describe('makeProcessBatch', () => {
  it('writes one day item per customer-day and counts every accepted event', async () => {
    const { store, counts, processBatch } = setup();
    const events = [
      event('a1', 'a', '2026-11-24T08:00:00Z'),
      event('b1', 'b', '2026-11-24T09:00:00Z'),
      event('a2', 'a', '2026-11-24T10:00:00Z'),
      event('a3', 'a', '2026-11-23T10:00:00Z'),
    ];
    expect(await processBatch(kinesisEvent(events))).toEqual({ batchItemFailures: [] });
    expect([...store.days.keys()].sort()).toEqual(
      [
        storedDayKey('a', '2026-11-23'),
        storedDayKey('a', '2026-11-24'),
        storedDayKey('b', '2026-11-24'),
      ].sort(),
    );
    expect(store.days.get(storedDayKey('a', '2026-11-24'))?.aggregate.sessions).toBe(2);
    expect(counts.get('EventsAccepted')).toBe(4);
    expect(counts.get('DayItemWrites')).toBe(3);
  });

  it('quarantines what does not parse, with its reason, and still processes the rest', async () => {
    const { lakehouse, store, processBatch } = setup();
    await processBatch(
      kinesisEvent([event('a1', 'a', '2026-11-24T08:00:00Z'), '{"broken": ', '{"event_id":"x"}']),
    );
    expect(lakehouse.rows.map((row) => row.event_id)).toEqual(['a1']);
    expect(lakehouse.quarantined).toHaveLength(2);
    expect(lakehouse.quarantined[1]).toMatch(/user_id|type|ts/);
    expect(store.days.size).toBe(1);
  });

  it('does not count a redelivered batch twice, in the store or in the lakehouse', async () => {
    const { store, lakehouse, processBatch } = setup();
    const batch = kinesisEvent([
      event('a1', 'a', '2026-11-24T08:00:00Z'),
      event('a2', 'a', '2026-11-24T09:00:00Z'),
    ]);
    await processBatch(batch);
    await processBatch(batch);
    expect(store.days.get(storedDayKey('a', '2026-11-24'))?.aggregate.sessions).toBe(2);
    expect(lakehouse.rows).toHaveLength(2);
  });

  it('reports the first record of a customer-day it could not write, so Lambda retries from there', async () => {
    const { store, processBatch } = setup();
    store.failFor.add('b');
    const response = await processBatch(
      kinesisEvent([
        event('a1', 'a', '2026-11-24T08:00:00Z'),
        event('b1', 'b', '2026-11-24T09:00:00Z'),
        event('a2', 'a', '2026-11-24T10:00:00Z'),
        event('b2', 'b', '2026-11-24T11:00:00Z'),
      ]),
    );
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '101' }] });
    expect(store.days.get(storedDayKey('a', '2026-11-24'))?.aggregate.sessions).toBe(2);
  });

  it('keeps events later than the allowed lateness out of the online store but in the lakehouse', async () => {
    const { store, lakehouse, counts, processBatch } = setup(86_400_000);
    await processBatch(
      kinesisEvent([event('old', 'a', '2026-10-01T08:00:00Z'), event('new', 'a', '2026-11-24T08:00:00Z')]),
    );
    expect(lakehouse.rows.map((row) => row.event_id).sort()).toEqual(['new', 'old']);
    expect([...store.days.keys()]).toEqual([storedDayKey('a', '2026-11-24')]);
    expect(counts.get('LateEvents')).toBe(1);
  });
});
