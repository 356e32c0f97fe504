import type { SourceRecord, SourceRow } from './source-reader.js';

/** A row that did not make it, with where it was and why. */
export interface ImportReject {
  /** 1-based line where the record starts. */
  readonly line: number;
  /** Names the field and the rule: `ts: expected ISO 8601 UTC timestamp, got "yesterday"`. */
  readonly reason: string;
  /** The record as written (cut short for oversize lines). */
  readonly raw: string;
}

/** What one row became. */
export type RowOutcome<T> =
  | { readonly kind: 'accepted'; readonly line: number; readonly value: T }
  | { readonly kind: 'rejected'; readonly reject: ImportReject }
  | { readonly kind: 'blank'; readonly line: number };

/** Every row of an import, accounted for: `accepted.length + rejected.length === read`. */
export interface ImportResult<T> {
  /** Records read (blank lines excluded: they hold no record). */
  readonly read: number;
  readonly blankLines: number;
  readonly accepted: T[];
  readonly rejected: ImportReject[];
}

export type SourceRows = AsyncIterable<SourceRow> | Iterable<SourceRow>;

/** Gathers a stream of outcomes into one result. */
export async function collectOutcomes<T>(
  outcomes: AsyncIterable<RowOutcome<T>> | Iterable<RowOutcome<T>>,
): Promise<ImportResult<T>> {
  const accepted: T[] = [];
  const rejected: ImportReject[] = [];
  let blankLines = 0;
  for await (const outcome of outcomes) {
    if (outcome.kind === 'accepted') accepted.push(outcome.value);
    else if (outcome.kind === 'rejected') rejected.push(outcome.reject);
    else blankLines += 1;
  }
  return { read: accepted.length + rejected.length, blankLines, accepted, rejected };
}

/** Turns reader rows into outcomes with a per-record conversion; reader errors become rejects as they are. */
export async function* convertRows<T>(
  rows: SourceRows,
  convert: (row: SourceRecord) => { ok: true; value: T } | { ok: false; reason: string },
): AsyncGenerator<RowOutcome<T>> {
  for await (const row of rows) {
    if (row.kind === 'blank') {
      yield { kind: 'blank', line: row.line };
    } else if (row.kind === 'error') {
      yield { kind: 'rejected', reject: { line: row.line, reason: row.reason, raw: row.raw } };
    } else {
      const converted = convert(row);
      yield converted.ok
        ? { kind: 'accepted', line: row.line, value: converted.value }
        : { kind: 'rejected', reject: { line: row.line, reason: converted.reason, raw: row.raw } };
    }
  }
}
