import { describe, expect, it } from 'vitest';
import {
  detectFormat,
  ImportFileError,
  isGzip,
  readImportRows,
  type SourceRow,
} from '../../../ml/import/source-reader.js';
import { chunked, collectRows, gzipped } from './helpers.js';

const records = (rows: SourceRow[]) => rows.filter((row) => row.kind === 'record');
const errors = (rows: SourceRow[]) => rows.filter((row) => row.kind === 'error');

describe('readImportRows: CSV', () => {
  it('gives each record the line it starts on, across quoted newlines, CRLF and a BOM', async () => {
    const csv =
      '\uFEFFid,note,amount\r\nu-1,plain,1\r\nu-2,"two\nlines",2\r\n\r\nu-3,"quote ""inside""",3\r\n';

    const rows = await collectRows(readImportRows(chunked(csv), { name: 'people.csv' }));

    expect(rows.map((row) => [row.kind, row.line])).toEqual([
      ['record', 2],
      ['record', 3],
      ['blank', 5],
      ['record', 6],
    ]);
    expect(records(rows).map((row) => row.kind === 'record' && row.record)).toEqual([
      { id: 'u-1', note: 'plain', amount: '1' },
      { id: 'u-2', note: 'two\nlines', amount: '2' },
      { id: 'u-3', note: 'quote "inside"', amount: '3' },
    ]);
  });

  it('rejects a row with the wrong number of values or a broken quote, and goes on', async () => {
    const csv = 'id,plan\nu-1,basic\nu-2\nu-3,ba"sic\nu-4,premium\n';

    const rows = await collectRows(readImportRows(chunked(csv), { name: 'p.csv' }));

    expect(records(rows).map((row) => row.line)).toEqual([2, 5]);
    const [columns, quote] = errors(rows);
    expect(columns).toMatchObject({ line: 3, raw: 'u-2' });
    expect(columns?.kind === 'error' && columns.reason).toBe(
      'columns: expected 2 values as in the header, got 1',
    );
    expect(quote).toMatchObject({ line: 4 });
    expect(quote?.kind === 'error' && quote.reason).toMatch(/^csv: .*quote/i);
  });

  it('fails the whole file when the header names a column twice', async () => {
    await expect(collectRows(readImportRows(chunked('id,id\n1,2\n'), { name: 'x.csv' }))).rejects.toThrow(
      ImportFileError,
    );
  });
});

describe('readImportRows: JSONL', () => {
  it('yields objects, rejects bad JSON and non-objects, and reports blank lines', async () => {
    const jsonl = '{"a":1}\n\n{"a":\n[1,2]\n   \n{"a":"é ✓"}';

    const rows = await collectRows(readImportRows(chunked(jsonl, 3), { name: 'x.jsonl' }));

    expect(rows.map((row) => [row.kind, row.line])).toEqual([
      ['record', 1],
      ['blank', 2],
      ['error', 3],
      ['error', 4],
      ['blank', 5],
      ['record', 6],
    ]);
    const [badJson, array] = errors(rows);
    expect(badJson?.kind === 'error' && badJson.reason).toMatch(/^json: not valid JSON/);
    expect(array?.kind === 'error' && array.reason).toBe('json: expected an object per line, got an array');
    expect(rows[5]?.kind === 'record' && rows[5].record).toEqual({ a: 'é ✓' });
  });

  it('rejects a line over the limit by size, keeps a short preview, and reads on with the right line numbers', async () => {
    const huge = `{"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`;
    const jsonl = `{"n":1}\n${huge}\n{"n":3}\n`;

    const rows = await collectRows(readImportRows(chunked(jsonl, 64 * 1024), { name: 'big.jsonl' }));

    expect(rows.map((row) => [row.kind, row.line])).toEqual([
      ['record', 1],
      ['error', 2],
      ['record', 3],
    ]);
    const oversize = rows[1];
    expect(oversize?.kind === 'error' && oversize.reason).toBe(
      `line: ${Buffer.byteLength(huge).toLocaleString('en-US')} bytes, over the limit of 1,048,576 bytes per record`,
    );
    expect(oversize?.kind === 'error' && oversize.raw.length).toBeLessThanOrEqual(201);
  });

  it('applies a configurable limit to CSV records too', async () => {
    const csv = `id,note\nu-1,short\nu-2,${'y'.repeat(500)}\nu-3,short\n`;

    const rows = await collectRows(readImportRows(chunked(csv, 50), { name: 'x.csv', maxLineBytes: 100 }));

    expect(rows.map((row) => [row.kind, row.line])).toEqual([
      ['record', 2],
      ['error', 3],
      ['record', 4],
    ]);
  });

  it('rejects a line that is not UTF-8 instead of decoding it into replacement characters', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"a":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}\n{"a":"ok"}\n'),
    ]);

    const rows = await collectRows(readImportRows(chunked(bytes), { name: 'x.jsonl' }));

    expect(rows[0]).toMatchObject({ kind: 'error', line: 1, reason: 'line: not valid UTF-8 text' });
    expect(rows[1]).toMatchObject({ kind: 'record', line: 2 });
  });
});

describe('gzip and format detection', () => {
  it('detects gzip by its magic bytes, whatever the file is called', async () => {
    const csv = 'id,plan\nu-1,basic\nu-2,premium\n';

    const misnamed = await collectRows(readImportRows(chunked(gzipped(csv), 5), { name: 'profiles.csv' }));
    const plainNamedGz = await collectRows(readImportRows(chunked(csv), { name: 'profiles.csv.gz' }));

    expect(records(misnamed)).toHaveLength(2);
    expect(records(plainNamedGz)).toHaveLength(2);
    expect(isGzip(gzipped('x'))).toBe(true);
    expect(isGzip(Buffer.from('x,y'))).toBe(false);
  });

  it('guesses the format from the extension without .gz, else from the first byte', () => {
    expect(detectFormat('events.jsonl.gz', Buffer.from('a,b'))).toBe('jsonl');
    expect(detectFormat('events.CSV', Buffer.from('{"a":1}'))).toBe('csv');
    expect(detectFormat('upload', Buffer.from('  {"a":1}'))).toBe('jsonl');
    expect(detectFormat(undefined, Buffer.from('user_id,ts'))).toBe('csv');
  });

  it('reports a damaged gzip stream as a file error', async () => {
    const broken = gzipped('{"a":1}\n'.repeat(1000)).slice(0, 40);

    await expect(collectRows(readImportRows(chunked(broken), { name: 'x.jsonl.gz' }))).rejects.toThrow(
      /gzip/,
    );
  });
});
