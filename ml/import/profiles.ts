import { z } from 'zod';
import { isRecord } from '../schema/fields.js';
import { formatIssues } from '../schema/format-issues.js';
import { ProfileSchema } from '../schema/profile.js';
import { applyRenames, type ColumnMappingFlags, columnRenames, guessIdColumn } from './column-mapping.js';
import type { ImportReject, ImportResult, SourceRows } from './import-result.js';
import { ImportFileError } from './source-reader.js';
import { normaliseTimestamp } from './timestamps.js';

/** An attribute value: a number in a numeric column, text in a categorical one, null where blank. */
export type AttributeValue = number | string | null;

/**
 * A profile as imported from a customer table. Only `user_id` is required: real tables (Telco's,
 * a CRM export) rarely have every field of {@link ProfileSchema}. The known fields, when present,
 * must satisfy the contract; every other column is kept in `attributes`, so nothing in the table is lost.
 */
export const ImportedProfileSchema = ProfileSchema.partial()
  .required({ user_id: true })
  .extend({ attributes: z.record(z.string(), z.union([z.number(), z.string(), z.null()])) });

export type ImportedProfile = z.infer<typeof ImportedProfileSchema>;

/** The known profile fields besides `user_id`; other columns become attributes. */
export const KNOWN_PROFILE_FIELDS = Object.keys(ProfileSchema.shape).filter((field) => field !== 'user_id');

export type ColumnKind = 'numeric' | 'categorical';

/** What the import found out about one attribute column, over the whole column. */
export interface AttributeColumn {
  readonly name: string;
  readonly kind: ColumnKind;
  /** Rows where the cell was blank or null. */
  readonly missing: number;
  /** Distinct non-missing values; for categorical columns this is the number of categories. */
  readonly distinct: number;
}

export interface ProfileImportOptions {
  /** `--id`, `--map col=field`. */
  readonly mapping?: ColumnMappingFlags;
  /** Columns to leave out entirely (e.g. the label column, so a model cannot learn from it). */
  readonly drop?: readonly string[];
}

export interface ProfileImportResult extends ImportResult<ImportedProfile> {
  /** The input column the customer id was read from. */
  readonly idColumn: string;
  readonly attributeColumns: readonly AttributeColumn[];
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
// "007" looks numeric but is a code: reading it as 7 would merge it with "7".
const LEADING_ZERO_CODE = /^[+-]?0\d/;

function isMissing(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

function isNumericCell(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'string') return false;
  const text = value.trim();
  return NUMBER.test(text) && !LEADING_ZERO_CODE.test(text) && Number.isFinite(Number(text));
}

function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Numeric when every non-missing cell of the column is a number; a column with no values is categorical. */
export function detectColumnKind(values: Iterable<unknown>): ColumnKind {
  let present = 0;
  for (const value of values) {
    if (isMissing(value)) continue;
    present += 1;
    if (!isNumericCell(value)) return 'categorical';
  }
  return present > 0 ? 'numeric' : 'categorical';
}

function attributeValue(kind: ColumnKind, value: unknown): AttributeValue {
  if (isMissing(value)) return null;
  if (kind === 'numeric') return typeof value === 'number' ? value : Number(asText(value).trim());
  return asText(value);
}

function knownField(field: string, value: unknown, fromCsv: boolean): unknown {
  if (isMissing(value)) return field === 'referred_by' && value !== undefined ? null : undefined;
  if (field === 'registered_at') {
    const normalised = normaliseTimestamp(value, { allowDateOnly: true });
    return normalised.ok ? normalised.ts : value;
  }
  if (field === 'monthly_price' && fromCsv && isNumericCell(value)) return Number(asText(value).trim());
  return value;
}

interface PendingRow {
  readonly line: number;
  readonly raw: string;
  readonly record: Record<string, unknown>;
  readonly fromCsv: boolean;
}

/**
 * Profiles from a customer table. Needs the whole table before converting any row, because whether
 * a column is numeric is decided over all of its cells (Telco's `TotalCharges` is numeric with 11
 * blanks, not text because of them). Blank cells are missing values (null), never errors. A second
 * row for the same customer is rejected: which one is right cannot be told from the file.
 */
export async function importProfiles(
  rows: SourceRows,
  options: ProfileImportOptions = {},
): Promise<ProfileImportResult> {
  const mapping = options.mapping ?? {};
  const drop = new Set(options.drop ?? []);
  const rejected: ImportReject[] = [];
  const pending: PendingRow[] = [];
  const columns = new Set<string>();
  let blankLines = 0;
  for await (const row of rows) {
    if (row.kind === 'blank') blankLines += 1;
    else if (row.kind === 'error') rejected.push({ line: row.line, reason: row.reason, raw: row.raw });
    else {
      for (const column of Object.keys(row.record)) columns.add(column);
      pending.push({ line: row.line, raw: row.raw, record: row.record, fromCsv: row.format === 'csv' });
    }
  }

  const mappedId = mapping.id;
  const idColumn = mappedId ?? guessIdColumn([...columns]);
  if (pending.length > 0 && (idColumn === undefined || !columns.has(idColumn))) {
    throw new ImportFileError(
      `user_id: ${mappedId === undefined ? 'no column looks like the customer id' : `column "${mappedId}" (--id) is not in the file`}; ` +
        `name it with --id COLUMN (columns: ${[...columns].slice(0, 30).join(', ')})`,
    );
  }
  const renames = columnRenames({ ...mapping, id: idColumn });
  const known = new Set(['user_id', ...KNOWN_PROFILE_FIELDS]);
  const renamedRows = pending.map((row) => ({ ...row, record: applyRenames(row.record, renames) }));

  const attributeNames = new Set<string>();
  for (const row of renamedRows) {
    for (const column of Object.keys(row.record)) {
      if (!known.has(column) && !drop.has(column)) attributeNames.add(column);
    }
  }
  const attributeColumns: AttributeColumn[] = [...attributeNames].map((name) => {
    const values = renamedRows.map((row) => row.record[name]);
    const kind = detectColumnKind(values);
    const present = values.filter((value) => !isMissing(value));
    return {
      name,
      kind,
      missing: values.length - present.length,
      distinct: new Set(present.map((value) => attributeValue(kind, value))).size,
    };
  });

  const accepted: ImportedProfile[] = [];
  const firstLine = new Map<string, number>();
  for (const row of renamedRows) {
    const candidate: Record<string, unknown> = { user_id: row.record.user_id };
    for (const field of KNOWN_PROFILE_FIELDS) {
      const value = knownField(field, row.record[field], row.fromCsv);
      if (value !== undefined && !drop.has(field)) candidate[field] = value;
    }
    const attributes: Record<string, AttributeValue> = {};
    for (const column of attributeColumns)
      attributes[column.name] = attributeValue(column.kind, row.record[column.name]);
    candidate.attributes = attributes;
    if (typeof candidate.user_id === 'string') candidate.user_id = candidate.user_id.trim();

    const parsed = ImportedProfileSchema.safeParse(candidate, { reportInput: true });
    if (!parsed.success) {
      rejected.push({ line: row.line, raw: row.raw, reason: formatIssues(parsed.error, 'profile') });
      continue;
    }
    const seenOn = firstLine.get(parsed.data.user_id);
    if (seenOn !== undefined) {
      rejected.push({
        line: row.line,
        raw: row.raw,
        reason: `user_id: must be unique in the table, "${parsed.data.user_id}" is already on line ${seenOn}`,
      });
      continue;
    }
    firstLine.set(parsed.data.user_id, row.line);
    accepted.push(parsed.data);
  }
  rejected.sort((a, b) => a.line - b.line);
  return {
    read: accepted.length + rejected.length,
    blankLines,
    accepted,
    rejected,
    idColumn: idColumn ?? 'user_id',
    attributeColumns,
  };
}

/** Validates a stored profile (a lakehouse line); the reason names each broken field and rule. */
export function parseImportedProfile(
  input: unknown,
): { ok: true; profile: ImportedProfile } | { ok: false; reason: string } {
  if (!isRecord(input)) return { ok: false, reason: 'profile: expected an object' };
  const parsed = ImportedProfileSchema.safeParse(input, { reportInput: true });
  return parsed.success
    ? { ok: true, profile: parsed.data }
    : { ok: false, reason: formatIssues(parsed.error, 'profile') };
}
