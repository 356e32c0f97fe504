import { describe, expect, it } from 'vitest';
import {
  applyRenames,
  columnRenames,
  guessIdColumn,
  parseMapFlag,
} from '../../../ml/import/column-mapping.js';

describe('column mapping', () => {
  it('parses --map COLUMN=FIELD and explains a malformed one', () => {
    expect(parseMapFlag('Watch Minutes=properties.minutes')).toEqual({
      column: 'Watch Minutes',
      field: 'properties.minutes',
    });
    expect(() => parseMapFlag('minutes')).toThrow(
      '--map: expected COLUMN=FIELD (e.g. customerID=user_id), got "minutes"',
    );
    expect(() => parseMapFlag('a=b.c.d')).toThrow(/field "b.c.d"/);
  });

  it('refuses two columns for one field, since one of them would be lost', () => {
    expect(() => columnRenames({ id: 'customerID', map: ['cid=user_id'] })).toThrow(
      /--map: field user_id is already mapped from column "customerID"/,
    );
  });

  it('renames mapped columns and drops an input column that a mapping replaces', () => {
    const renames = columnRenames({ id: 'customerID', map: ['Plan=plan'] });

    expect(applyRenames({ customerID: 'c-1', user_id: 'stale', Plan: 'basic', other: 1 }, renames)).toEqual({
      user_id: 'c-1',
      plan: 'basic',
      other: 1,
    });
  });

  it('guesses the id column only when exactly one common id name matches', () => {
    expect(guessIdColumn(['customerID', 'gender'])).toBe('customerID');
    expect(guessIdColumn(['Customer_Id', 'x'])).toBe('Customer_Id');
    expect(guessIdColumn(['customer_id', 'userId'])).toBeUndefined();
    expect(guessIdColumn(['name'])).toBeUndefined();
  });
});
