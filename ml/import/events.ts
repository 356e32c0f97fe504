import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { EVENT_PROPERTIES, EVENT_TYPES, type Event, type EventType, parseEvent } from '../schema/event.js';
import { isRecord } from '../schema/fields.js';
import { applyRenames, type ColumnMappingFlags, columnRenames } from './column-mapping.js';
import {
  collectOutcomes,
  convertRows,
  type ImportResult,
  type RowOutcome,
  type SourceRows,
} from './import-result.js';
import type { SourceRecord } from './source-reader.js';
import { normaliseTimestamp } from './timestamps.js';

export interface EventImportOptions {
  /** `--id`, `--ts`, `--type`, `--map col=field` (a field may be `properties.<key>`). */
  readonly mapping?: ColumnMappingFlags;
}

export type EventConversion = { ok: true; value: Event } | { ok: false; reason: string };

const PROPERTY_PREFIX = 'properties.';
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function isBlankCell(value: unknown): boolean {
  return typeof value === 'string' && value.trim() === '';
}

const KNOWN_TYPES: ReadonlySet<unknown> = new Set(EVENT_TYPES);

function isEventType(value: unknown): value is EventType {
  return KNOWN_TYPES.has(value);
}

function propertySchema(type: unknown, key: string): z.ZodType | undefined {
  if (!isEventType(type)) return undefined;
  const shape: Record<string, z.ZodType> = EVENT_PROPERTIES[type].shape;
  return shape[key];
}

/**
 * A CSV cell as the type the event schema wants for this property. Only CSV gets this: its cells are
 * all text, whereas a JSON `"3"` where a number belongs is a producer bug that must be rejected.
 * Unknown properties stay text, so nothing is guessed for keys we do not know.
 */
function coerceCell(type: unknown, key: string, cell: string): unknown {
  const schema = propertySchema(type, key);
  if (schema === undefined || schema.safeParse(cell).success) return cell;
  const text = cell.trim();
  if (NUMBER.test(text) && schema.safeParse(Number(text)).success) return Number(text);
  if ((text === 'true' || text === 'false') && schema.safeParse(text === 'true').success)
    return text === 'true';
  return cell;
}

/** Deterministic, so importing the same file twice yields the same ids and the processor de-duplicates. */
export function deriveEventId(fields: {
  user_id: unknown;
  ts: unknown;
  type: unknown;
  properties: unknown;
}): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([fields.user_id, fields.ts, fields.type, fields.properties]))
    .digest('hex');
  return `imp-${digest.slice(0, 32)}`;
}

/** One input record (already read from CSV or JSONL) as a validated event, or the reason it is not one. */
export function toEvent(
  source: Pick<SourceRecord, 'record' | 'format'>,
  renames: ReadonlyMap<string, string> = new Map(),
): EventConversion {
  const fromCsv = source.format === 'csv';
  const renamed = applyRenames(source.record, renames);
  const candidate: Record<string, unknown> = {};
  const dotted: Array<[string, unknown]> = [];
  for (const [key, value] of Object.entries(renamed)) {
    // A blank CSV cell is a missing value, so an optional property or an absent event id stays absent.
    if (fromCsv && isBlankCell(value)) continue;
    if (key.startsWith(PROPERTY_PREFIX)) dotted.push([key.slice(PROPERTY_PREFIX.length), value]);
    else candidate[key] = value;
  }

  let properties: unknown = candidate.properties;
  if (typeof properties === 'string' && fromCsv) {
    try {
      properties = JSON.parse(properties);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      return {
        ok: false,
        reason: `properties: expected a JSON object in the cell, not valid JSON (${detail})`,
      };
    }
  }
  if (properties === undefined) properties = {};
  if (dotted.length > 0) {
    if (!isRecord(properties)) {
      return { ok: false, reason: 'properties: expected an object to merge the properties.* columns into' };
    }
    const merged: Record<string, unknown> = { ...properties };
    for (const [key, value] of dotted) {
      merged[key] = fromCsv && typeof value === 'string' ? coerceCell(candidate.type, key, value) : value;
    }
    properties = merged;
  }
  candidate.properties = properties;

  if (candidate.ts !== undefined) {
    const ts = normaliseTimestamp(candidate.ts);
    if (!ts.ok) return { ok: false, reason: `ts: ${ts.rule}` };
    candidate.ts = ts.ts;
  }
  if (candidate.event_id === undefined || candidate.event_id === '') {
    candidate.event_id = deriveEventId({
      user_id: candidate.user_id,
      ts: candidate.ts,
      type: candidate.type,
      properties: candidate.properties,
    });
  }
  const parsed = parseEvent(candidate);
  return parsed.ok ? { ok: true, value: parsed.event } : { ok: false, reason: parsed.reason };
}

/**
 * Events from import rows, one outcome per row, streaming: a file of millions of events never has to
 * fit in memory. Timestamps in another unambiguous notation are normalised to ISO UTC; a missing
 * `event_id` is derived from the event's content.
 */
export function importEventStream(
  rows: SourceRows,
  options: EventImportOptions = {},
): AsyncGenerator<RowOutcome<Event>> {
  const renames = columnRenames(options.mapping ?? {});
  return convertRows(rows, (row) => toEvent(row, renames));
}

/** All of {@link importEventStream}, collected. */
export function importEvents(
  rows: SourceRows,
  options: EventImportOptions = {},
): Promise<ImportResult<Event>> {
  return collectOutcomes(importEventStream(rows, options));
}
