import { isRecord } from '../schema/fields.js';
import { type Label, parseLabel } from '../schema/label.js';
import { describeValue } from '../schema/timestamp.js';
import {
  applyRenames,
  type ColumnMappingFlags,
  type ColumnRenames,
  columnRenames,
  guessIdColumn,
} from './column-mapping.js';
import {
  collectOutcomes,
  convertRows,
  type ImportResult,
  type RowOutcome,
  type SourceRows,
} from './import-result.js';
import { ImportFileError, type SourceRecord } from './source-reader.js';
import { normaliseTimestamp } from './timestamps.js';

/**
 * A label as imported. When the file says a customer churned but not when, `churn_date` is set to
 * `as_of` (the latest it can have been) and flagged, so lead-time measurements can leave it out.
 */
export type ImportedLabel = Label & { readonly churn_date_estimated?: true };

export interface LabelImportOptions {
  /** `--id`, `--label` (the churn flag column), `--churn-date`, `--map col=field`. */
  readonly mapping?: ColumnMappingFlags;
  /** Cut-off of the labels when the file has no `as_of` column: ISO 8601 UTC. */
  readonly asOf: string;
}

const TRUE_WORDS = new Set(['yes', 'y', 'true', 't', '1', 'churned']);
const FALSE_WORDS = new Set(['no', 'n', 'false', 'f', '0', 'active', 'retained']);
const LABEL_COLUMN_GUESSES = ['churned', 'churn', 'is_churned', 'has_churned'];

/** The churn flag from the spellings real tables use: Yes/No, 1/0, true/false (any case). */
export function parseChurnFlag(value: unknown): { ok: true; churned: boolean } | { ok: false; rule: string } {
  if (typeof value === 'boolean') return { ok: true, churned: value };
  if (value === 1 || value === 0) return { ok: true, churned: value === 1 };
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return { ok: true, churned: true };
    if (FALSE_WORDS.has(word)) return { ok: true, churned: false };
    if (word === '') return { ok: false, rule: 'required, got a blank cell' };
  }
  if (value === undefined) return { ok: false, rule: 'required, expected yes/no, true/false or 1/0' };
  return { ok: false, rule: `expected yes/no, true/false or 1/0, got ${describeValue(value)}` };
}

function isMissing(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

function dateField(
  name: string,
  value: unknown,
): { ok: true; value: string | null | undefined } | { ok: false; reason: string } {
  if (value === undefined) return { ok: true, value: undefined };
  if (isMissing(value)) return { ok: true, value: null };
  const normalised = normaliseTimestamp(value, { allowDateOnly: true });
  return normalised.ok
    ? { ok: true, value: normalised.ts }
    : { ok: false, reason: `${name}: ${normalised.rule}` };
}

/** One input record as a validated label, or the reason it is not one. */
export function toLabel(
  source: Pick<SourceRecord, 'record'>,
  renames: ColumnRenames,
  asOf: string,
): { ok: true; value: ImportedLabel } | { ok: false; reason: string } {
  const record = applyRenames(source.record, renames);
  const churn = parseChurnFlag(record.churned);
  if (!churn.ok) return { ok: false, reason: `churned: ${churn.rule}` };

  const fields: Record<string, string | null | undefined> = {};
  for (const name of ['as_of', 'churn_date', 'paid_until']) {
    const parsed = dateField(name, record[name]);
    if (!parsed.ok) return { ok: false, reason: parsed.reason };
    fields[name] = parsed.value;
  }
  const labelAsOf = fields.as_of ?? asOf;
  const known = fields.churn_date ?? null;
  const estimated = churn.churned && known === null;
  const candidate = {
    user_id: typeof record.user_id === 'string' ? record.user_id.trim() : record.user_id,
    as_of: labelAsOf,
    churned: churn.churned,
    churn_date: estimated ? labelAsOf : known,
    ...(fields.paid_until === undefined ? {} : { paid_until: fields.paid_until }),
  };
  const parsed = parseLabel(candidate);
  if (!parsed.ok) return { ok: false, reason: parsed.reason };
  return { ok: true, value: estimated ? { ...parsed.label, churn_date_estimated: true } : parsed.label };
}

function guessColumn(columns: readonly string[], guesses: readonly string[]): string | undefined {
  const normalise = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');
  const wanted = new Set(guesses.map(normalise));
  const matches = columns.filter((column) => wanted.has(normalise(column)));
  return matches.length === 1 ? matches[0] : undefined;
}

/**
 * Labels from a table, streaming. The id and churn-flag columns come from `--id` / `--label`, else
 * are guessed from the first record's columns (`customerID`, `Churn`); a file where neither can be
 * found fails as a whole, naming the flag to add, instead of rejecting every row for the same reason.
 */
export async function* importLabelStream(
  rows: SourceRows,
  options: LabelImportOptions,
): AsyncGenerator<RowOutcome<ImportedLabel>> {
  const asOf = normaliseTimestamp(options.asOf, { allowDateOnly: true });
  if (!asOf.ok) throw new ImportFileError(`--as-of: ${asOf.rule}`);
  let renames: ColumnRenames | undefined;
  const resolve = (record: Record<string, unknown>): ColumnRenames => {
    const columns = Object.keys(record);
    const mapping = options.mapping ?? {};
    const id = mapping.id ?? guessIdColumn(columns);
    if (id === undefined) {
      throw new ImportFileError(
        `user_id: no column looks like the customer id; name it with --id COLUMN (columns: ${columns.join(', ')})`,
      );
    }
    const label = mapping.label ?? guessColumn(columns, LABEL_COLUMN_GUESSES);
    if (label === undefined) {
      throw new ImportFileError(
        `churned: no column looks like the churn flag; name it with --label COLUMN (columns: ${columns.join(', ')})`,
      );
    }
    return columnRenames({ ...mapping, id, label });
  };
  yield* convertRows(rows, (row) => {
    renames ??= resolve(row.record);
    return toLabel(row, renames, asOf.ts);
  });
}

/** All of {@link importLabelStream}, collected. */
export function importLabels(
  rows: SourceRows,
  options: LabelImportOptions,
): Promise<ImportResult<ImportedLabel>> {
  return collectOutcomes(importLabelStream(rows, options));
}

/** Validates a stored label (a lakehouse line), keeping the estimated-date flag. */
export function parseImportedLabel(
  input: unknown,
): { ok: true; label: ImportedLabel } | { ok: false; reason: string } {
  const parsed = parseLabel(input);
  if (!parsed.ok) return parsed;
  const estimated = isRecord(input) && input.churn_date_estimated === true;
  return { ok: true, label: estimated ? { ...parsed.label, churn_date_estimated: true } : parsed.label };
}
