import { parse } from 'csv-parse/sync';
import { type FeatureSpec, GbdtDataError, type GbdtDataset } from './dataset.js';

/** Columns of IBM's Telco Customer Churn sample (shared/data/README.md), in file order. */
const NUMERIC_COLUMNS = ['SeniorCitizen', 'tenure', 'MonthlyCharges', 'TotalCharges'] as const;
const CATEGORICAL_COLUMNS = [
  'gender',
  'Partner',
  'Dependents',
  'PhoneService',
  'MultipleLines',
  'InternetService',
  'OnlineSecurity',
  'OnlineBackup',
  'DeviceProtection',
  'TechSupport',
  'StreamingTV',
  'StreamingMovies',
  'Contract',
  'PaperlessBilling',
  'PaymentMethod',
] as const;

export interface TelcoDataset extends GbdtDataset {
  readonly customerIds: readonly string[];
}

/**
 * The Telco CSV as a learner matrix: the four numeric columns as numbers (a blank
 * `TotalCharges`, as on the 11 customers with tenure 0, is a missing value), the fifteen
 * yes/no and multi-level columns as categorical codes (levels sorted, kept in the feature
 * specs), `Churn` = Yes as label 1. Unexpected values are errors that name row and column.
 */
export function parseTelcoCsv(text: string): TelcoDataset {
  const records: unknown = parse(text, { columns: true, skip_empty_lines: true, trim: true });
  if (!Array.isArray(records) || records.length === 0) throw new GbdtDataError('telco csv: no rows');
  const rows = records as Array<Record<string, string | undefined>>;
  const header = Object.keys(rows[0] ?? {});
  for (const column of ['customerID', 'Churn', ...NUMERIC_COLUMNS, ...CATEGORICAL_COLUMNS]) {
    if (!header.includes(column)) throw new GbdtDataError(`telco csv: column ${column} is missing`);
  }
  const levels = new Map<string, string[]>();
  for (const column of CATEGORICAL_COLUMNS) {
    const seen = new Set<string>();
    for (const row of rows) seen.add(row[column] ?? '');
    levels.set(column, [...seen].sort());
  }
  const features: FeatureSpec[] = [
    ...NUMERIC_COLUMNS.map((name): FeatureSpec => ({ name, kind: 'numeric' })),
    ...CATEGORICAL_COLUMNS.map(
      (name): FeatureSpec => ({ name, kind: 'categorical', categories: levels.get(name) ?? [] }),
    ),
  ];
  const featureCount = features.length;
  const values = new Float32Array(rows.length * featureCount);
  const labels = new Float32Array(rows.length);
  const customerIds: string[] = [];
  rows.forEach((row, index) => {
    const line = index + 2;
    customerIds.push(row.customerID ?? '');
    NUMERIC_COLUMNS.forEach((column, feature) => {
      const cell = row[column] ?? '';
      const value = cell === '' ? Number.NaN : Number(cell);
      if (cell !== '' && !Number.isFinite(value))
        throw new GbdtDataError(`telco csv line ${line}: ${column} must be a number or blank, got "${cell}"`);
      values[index * featureCount + feature] = value;
    });
    CATEGORICAL_COLUMNS.forEach((column, position) => {
      const code = (levels.get(column) ?? []).indexOf(row[column] ?? '');
      values[index * featureCount + NUMERIC_COLUMNS.length + position] = code;
    });
    const churn = row.Churn;
    if (churn !== 'Yes' && churn !== 'No')
      throw new GbdtDataError(`telco csv line ${line}: Churn must be Yes or No, got "${churn ?? ''}"`);
    labels[index] = churn === 'Yes' ? 1 : 0;
  });
  return { values, rows: rows.length, features, labels, customerIds };
}
