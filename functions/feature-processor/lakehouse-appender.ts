import type { Event } from '../../ml/schema/index.js';
import { partitionEvents, quarantineKey, type S3Lakehouse } from '../shared/lakehouse.js';
import type { LakehouseAppender, QuarantinedRecord, StreamPosition } from './process-batch.js';

const parquetName = (fileName: string) => `${fileName}.parquet`;

/**
 * The lakehouse as the feature processor sees it. The caller passes the same `at` to both calls,
 * so the quarantine key announced to the journal is the one written, even across midnight.
 */
export class S3LakehouseAppender implements LakehouseAppender {
  constructor(private readonly lakehouse: S3Lakehouse) {}

  plannedKeys(
    events: readonly Event[],
    quarantined: readonly QuarantinedRecord[],
    fileName: string,
    at: Date,
  ): string[] {
    const keys = [...partitionEvents(events).keys()].map((prefix) => `${prefix}${parquetName(fileName)}`);
    if (quarantined.length > 0) {
      keys.push(quarantineKey(at.toISOString().slice(0, 10), fileName));
    }
    return keys.sort();
  }

  async append(
    events: readonly { event: Event; position: StreamPosition }[],
    quarantined: readonly QuarantinedRecord[],
    fileName: string,
    quarantinedAt: Date,
  ): Promise<void> {
    const outcomes = await Promise.allSettled([
      events.length === 0
        ? undefined
        : this.lakehouse.writeEvents(
            events.map((item) => item.event),
            {
              fileName,
              source: 'kinesis',
              positions: events.map((item) => item.position),
            },
          ),
      quarantined.length === 0
        ? undefined
        : this.lakehouse.writeQuarantine(
            quarantined.map((record) => ({
              reason: record.reason,
              payload: record.encoding === 'base64' ? Buffer.from(record.payload, 'base64') : record.payload,
              position: { kind: 'stream' as const, ...record.position },
              quarantinedAt,
            })),
            fileName,
          ),
    ]);
    // Both writes finish before a failure is reported, so nothing is still writing when a retry cleans up.
    const failure = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failure) throw failure.reason;
  }

  deleteObjects(keys: readonly string[]): Promise<void> {
    return this.lakehouse.deleteObjects(keys);
  }
}
