import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  addEvent,
  type DayAggregate,
  dayOf,
  emptyDay,
  mergeDays,
  reviveDay,
} from '../../ml/features/index.js';
import { DynamoFeatureStore } from '../shared/feature-store.js';
import { S3Lakehouse } from '../shared/lakehouse.js';
import { DynamoLakehouseJournal } from '../shared/lakehouse-journal.js';
import { S3LakehouseAppender } from './lakehouse-appender.js';
import { makeProcessBatch, type ProcessorMetrics } from './process-batch.js';

export interface FeatureProcessorSettings {
  readonly featureTable: string;
  readonly operationsTable: string;
  readonly lakehouseBucket: string;
  readonly dailyItemTtlDays: number;
  readonly allowedLatenessHours: number;
}

/**
 * Builds the processor from clients and settings: the handler's composition, shared with tests
 * that need to put faults between the processor and its stores.
 */
export function createProcessBatch(
  settings: FeatureProcessorSettings,
  clients: { documents: DynamoDBDocumentClient; s3: S3Client },
  observe: {
    metrics: ProcessorMetrics;
    log?: (message: string, detail: Readonly<Record<string, unknown>>) => void;
  },
) {
  return makeProcessBatch<DayAggregate>({
    featureStore: new DynamoFeatureStore(clients.documents, settings.featureTable, {
      dailyItemTtlDays: settings.dailyItemTtlDays,
      revive: reviveDay,
    }),
    lakehouse: new S3LakehouseAppender(new S3Lakehouse(clients.s3, settings.lakehouseBucket)),
    // One processor reads one stream, so a fixed journal name per table is enough.
    journal: new DynamoLakehouseJournal(clients.documents, settings.operationsTable, 'events'),
    days: { emptyDay, addEvent, mergeDays, dayOf },
    allowedLatenessMs: settings.allowedLatenessHours * 3_600_000,
    metrics: observe.metrics,
    log: observe.log,
  });
}
