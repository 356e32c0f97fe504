import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importLabels, parseChurnFlag } from '../../../ml/import/labels.js';
import { openImportFile, readImportRows } from '../../../ml/import/source-reader.js';
import { chunked, TELCO_CSV } from './helpers.js';

const telcoPath = fileURLToPath(TELCO_CSV);
const telcoPresent = existsSync(telcoPath);
if (!telcoPresent) console.warn(`skipping the Telco label import: ${telcoPath} is absent`);

const AS_OF = '2025-06-01T00:00:00Z';

describe.skipIf(!telcoPresent)('importLabels on the Telco table', () => {
  it('reads --label Churn: 1,869 of 7,043 churned, dates estimated from as-of', async () => {
    const result = await importLabels(readImportRows(openImportFile(telcoPath), { name: telcoPath }), {
      mapping: { id: 'customerID', label: 'Churn' },
      asOf: AS_OF,
    });

    expect([result.read, result.accepted.length, result.rejected.length]).toEqual([7043, 7043, 0]);
    const churned = result.accepted.filter((label) => label.churned);
    expect(churned).toHaveLength(1869);
    expect(churned[0]).toMatchObject({ churn_date: AS_OF, churn_date_estimated: true, as_of: AS_OF });
    expect(result.accepted.find((label) => !label.churned)).toMatchObject({ churn_date: null });
  });
});

describe('importLabels', () => {
  it('maps the flag and the churn date columns and rejects what does not fit the label contract', async () => {
    const csv = [
      'id,left,left_on',
      'u-1,Yes,2025-05-01',
      'u-2,no,',
      'u-3,maybe,',
      'u-4,1,2025-07-01',
      'u-5,false,2025-05-01',
      'u-6,TRUE,2025-05-10T08:00:00+02:00',
    ].join('\n');

    const result = await importLabels(readImportRows(chunked(csv), { name: 'labels.csv' }), {
      mapping: { id: 'id', label: 'left', churnDate: 'left_on' },
      asOf: AS_OF,
    });

    expect(result.read).toBe(6);
    expect(result.accepted).toEqual([
      { user_id: 'u-1', as_of: AS_OF, churned: true, churn_date: '2025-05-01T00:00:00.000Z' },
      { user_id: 'u-2', as_of: AS_OF, churned: false, churn_date: null },
      { user_id: 'u-6', as_of: AS_OF, churned: true, churn_date: '2025-05-10T06:00:00.000Z' },
    ]);
    expect(result.rejected.map((reject) => [reject.line, reject.reason])).toEqual([
      [4, 'churned: expected yes/no, true/false or 1/0, got "maybe"'],
      [5, `churn_date: must not be after as_of (${AS_OF}), got "2025-07-01T00:00:00.000Z"`],
      [6, 'churn_date: must be null when churned is false'],
    ]);
  });

  it('understands the usual spellings of the churn flag', () => {
    for (const yes of ['Yes', 'y', 'TRUE', '1', 1, true])
      expect(parseChurnFlag(yes)).toEqual({ ok: true, churned: true });
    for (const no of ['No', 'n', 'false', '0', 0, false])
      expect(parseChurnFlag(no)).toEqual({ ok: true, churned: false });
    expect(parseChurnFlag(' ')).toEqual({ ok: false, rule: 'required, got a blank cell' });
  });

  it('fails the file, naming --label, when no column looks like the churn flag', async () => {
    await expect(
      importLabels(readImportRows(chunked('user_id,status\nu-1,gone\n'), { name: 'x.csv' }), { asOf: AS_OF }),
    ).rejects.toThrow(/--label COLUMN/);
  });
});
