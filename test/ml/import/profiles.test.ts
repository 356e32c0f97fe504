import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { detectColumnKind, importProfiles } from '../../../ml/import/profiles.js';
import { ImportFileError, openImportFile, readImportRows } from '../../../ml/import/source-reader.js';
import { chunked, TELCO_CSV } from './helpers.js';

const telcoPath = fileURLToPath(TELCO_CSV);
const telcoPresent = existsSync(telcoPath);
if (!telcoPresent) console.warn(`skipping the Telco profile import: ${telcoPath} is absent`);

describe.skipIf(!telcoPresent)('importProfiles on the Telco customer table', () => {
  it('accepts all 7,043 customers, with TotalCharges numeric and its 11 blanks missing', async () => {
    const result = await importProfiles(readImportRows(openImportFile(telcoPath), { name: telcoPath }), {
      mapping: { id: 'customerID' },
    });

    expect([result.read, result.accepted.length, result.rejected.length]).toEqual([7043, 7043, 0]);
    const columns = Object.fromEntries(result.attributeColumns.map((column) => [column.name, column]));
    expect(columns.TotalCharges).toMatchObject({ kind: 'numeric', missing: 11 });
    expect(columns.tenure).toMatchObject({ kind: 'numeric', missing: 0 });
    expect(columns.MonthlyCharges).toMatchObject({ kind: 'numeric', missing: 0 });
    expect(columns.SeniorCitizen).toMatchObject({ kind: 'numeric', distinct: 2 });
    expect(columns.Contract).toMatchObject({ kind: 'categorical', distinct: 3 });
    expect(columns.PaymentMethod).toMatchObject({ kind: 'categorical', distinct: 4 });
    expect(columns.gender).toMatchObject({ kind: 'categorical', distinct: 2 });
    expect(
      result.attributeColumns.filter((column) => column.kind === 'numeric').map((column) => column.name),
    ).toEqual(['SeniorCitizen', 'tenure', 'MonthlyCharges', 'TotalCharges']);
    expect(columns.customerID).toBeUndefined();

    const first = result.accepted[0];
    expect(first?.user_id).toBe('7590-VHVEG');
    expect(first?.attributes).toMatchObject({
      TotalCharges: 29.85,
      Contract: 'Month-to-month',
      SeniorCitizen: 0,
    });
    const blank = result.accepted.filter((profile) => profile.attributes.TotalCharges === null);
    expect(blank).toHaveLength(11);
    expect(blank.every((profile) => profile.attributes.tenure === 0)).toBe(true);
  });

  it('finds customerID by itself when --id is not given, and can drop the label column', async () => {
    const result = await importProfiles(readImportRows(openImportFile(telcoPath), { name: telcoPath }), {
      drop: ['Churn'],
    });

    expect(result.idColumn).toBe('customerID');
    expect(result.accepted).toHaveLength(7043);
    expect(result.attributeColumns.map((column) => column.name)).not.toContain('Churn');
  });
});

describe('importProfiles', () => {
  it('validates the known profile fields it finds and keeps every other column as an attribute', async () => {
    const csv = [
      'user_id,country,monthly_price,registered_at,referred_by,zip,score',
      'u-1,DE,9.99,2024-01-05,,01067,7',
      'u-2,Germany,9.99,2024-01-05,u-1,10115,',
      'u-3,FR,-1,2024-01-05,,75001,3',
      ',FR,5,2024-01-05,,75002,3',
      'u-1,NL,5,2024-01-05,,1011,2',
    ].join('\n');

    const result = await importProfiles(readImportRows(chunked(csv), { name: 'crm.csv' }));

    expect(result.read).toBe(5);
    expect(result.accepted).toEqual([
      {
        user_id: 'u-1',
        country: 'DE',
        monthly_price: 9.99,
        registered_at: '2024-01-05T00:00:00.000Z',
        referred_by: null,
        // "01067" is a code, not the number 1067: the column stays categorical.
        attributes: { zip: '01067', score: 7 },
      },
    ]);
    expect(result.rejected.map((reject) => [reject.line, reject.reason])).toEqual([
      [3, 'country: expected ISO 3166-1 alpha-2 country code, got "Germany"'],
      [4, 'monthly_price: must be >= 0, got -1'],
      [5, 'user_id: must not be empty'],
      [6, 'user_id: must be unique in the table, "u-1" is already on line 2'],
    ]);
    expect(result.attributeColumns).toEqual([
      { name: 'zip', kind: 'categorical', missing: 0, distinct: 5 },
      { name: 'score', kind: 'numeric', missing: 1, distinct: 3 },
    ]);
  });

  it('fails the whole file, naming --id, when no column looks like the customer id', async () => {
    await expect(
      importProfiles(readImportRows(chunked('name,plan\nAda,basic\n'), { name: 'x.csv' })),
    ).rejects.toThrow(ImportFileError);
    await expect(
      importProfiles(readImportRows(chunked('name,plan\nAda,basic\n'), { name: 'x.csv' })),
    ).rejects.toThrow(/--id COLUMN/);
  });

  it('detects numeric columns over the whole column, blanks aside', () => {
    expect(detectColumnKind(['1', ' ', '2.5', '', null, 3, '-1e3'])).toBe('numeric');
    expect(detectColumnKind(['1', 'two'])).toBe('categorical');
    expect(detectColumnKind(['', ' '])).toBe('categorical');
    expect(detectColumnKind(['0x10'])).toBe('categorical');
  });
});
