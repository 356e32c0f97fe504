/**
 * Column mapping for imports: which input column feeds which contract field. Flags such as
 * `--id customerID` and `--map col=field` end up here as one rename table.
 */

export interface ColumnMappingFlags {
  /** Column holding the customer id (`user_id`). */
  readonly id?: string;
  /** Column holding the event time (`ts`). */
  readonly ts?: string;
  /** Column holding the event type (`type`). */
  readonly type?: string;
  /** Column holding the churn flag (`churned`). */
  readonly label?: string;
  /** Column holding the churn date (`churn_date`). */
  readonly churnDate?: string;
  /** `col=field` pairs; `field` may be dotted (`properties.minutes`) for event properties. */
  readonly map?: readonly string[];
}

/** Input column name to target field name. */
export type ColumnRenames = ReadonlyMap<string, string>;

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

/** Parses one `--map col=field` value; the error says what a good one looks like. */
export function parseMapFlag(value: string): { column: string; field: string } {
  const at = value.lastIndexOf('=');
  if (at <= 0 || at === value.length - 1) {
    throw new Error(`--map: expected COLUMN=FIELD (e.g. customerID=user_id), got "${value}"`);
  }
  const column = value.slice(0, at).trim();
  const field = value.slice(at + 1).trim();
  if (column === '') throw new Error(`--map: the column name before "=" is empty in "${value}"`);
  if (!FIELD.test(field)) {
    throw new Error(
      `--map: field "${field}" must be a name of letters, digits and _ (one dot allowed, e.g. properties.minutes)`,
    );
  }
  return { column, field };
}

/** Builds the rename table; two columns aimed at one field is an error, because one would be lost. */
export function columnRenames(flags: ColumnMappingFlags): ColumnRenames {
  const renames = new Map<string, string>();
  const targets = new Map<string, string>();
  const add = (column: string, field: string, flag: string) => {
    const previous = targets.get(field);
    if (previous !== undefined && previous !== column) {
      throw new Error(
        `${flag}: field ${field} is already mapped from column "${previous}"; map only one column to it`,
      );
    }
    const existing = renames.get(column);
    if (existing !== undefined && existing !== field) {
      throw new Error(`${flag}: column "${column}" is already mapped to ${existing}`);
    }
    renames.set(column, field);
    targets.set(field, column);
  };
  if (flags.id !== undefined) add(flags.id, 'user_id', '--id');
  if (flags.ts !== undefined) add(flags.ts, 'ts', '--ts');
  if (flags.type !== undefined) add(flags.type, 'type', '--type');
  if (flags.label !== undefined) add(flags.label, 'churned', '--label');
  if (flags.churnDate !== undefined) add(flags.churnDate, 'churn_date', '--churn-date');
  for (const value of flags.map ?? []) {
    const { column, field } = parseMapFlag(value);
    add(column, field, '--map');
  }
  return renames;
}

/**
 * The record with its columns renamed. A column that is renamed away no longer appears under its
 * old name; an input column that already has a target's name is dropped in favour of the mapped one,
 * since the flag said which column holds that field.
 */
export function applyRenames(
  record: Readonly<Record<string, unknown>>,
  renames: ColumnRenames,
): Record<string, unknown> {
  if (renames.size === 0) return { ...record };
  const targets = new Set(renames.values());
  const renamed: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(record)) {
    const field = renames.get(column);
    if (field !== undefined) renamed[field] = value;
    else if (!targets.has(column)) renamed[column] = value;
  }
  return renamed;
}

/** Column names commonly used for the customer id, tried when `--id` is not given. */
const ID_COLUMN_GUESSES = ['user_id', 'userid', 'customer_id', 'customerid', 'client_id', 'subscriber_id'];

/**
 * The column that holds the customer id: the one named by `--id`, else `user_id`, else the one
 * column whose name is a common id name (case and `_` ignored). Undefined when none or several match,
 * so the caller can ask for `--id`.
 */
export function guessIdColumn(columns: readonly string[]): string | undefined {
  if (columns.includes('user_id')) return 'user_id';
  const normalise = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');
  const wanted = new Set(ID_COLUMN_GUESSES.map(normalise));
  const matches = columns.filter((column) => wanted.has(normalise(column)));
  return matches.length === 1 ? matches[0] : undefined;
}
