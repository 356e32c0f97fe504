import { describe, expect, it } from 'vitest';
import { deriveEventId, importEvents, toEvent } from '../../../ml/import/events.js';
import { readImportRows } from '../../../ml/import/source-reader.js';
import { normaliseTimestamp } from '../../../ml/import/timestamps.js';
import { chunked, gzipped } from './helpers.js';

const play = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    event_id: 'e-1',
    user_id: 'u-1',
    ts: '2025-03-01T10:00:00Z',
    type: 'play',
    properties: { content_id: 'c-9', genre: 'drama', minutes: 42, completion: 0.5 },
    ...overrides,
  });

describe('importEvents with deliberately broken input', () => {
  const lines = [
    play(), // 1 ok
    '{"event_id": "e-2", "user_id": "u-2", ', // 2 bad JSON
    play({ event_id: 'e-3', user_id: undefined }), // 3 missing id
    play({ event_id: 'e-4', ts: 'yesterday' }), // 4 bad timestamp
    play({ event_id: 'e-5', properties: { content_id: 'c', genre: 'g', minutes: '42', completion: 0.5 } }), // 5 wrong type
    '', // 6 blank
    play({ event_id: 'e-7', pad: 'x'.repeat(2 * 1024 * 1024) }), // 7 a 2 MB line
    '   ', // 8 blank
    play({ event_id: 'e-9', user_id: 42 }), // 9 wrong type of id
    play({ event_id: 'e-10', type: 'teleport' }), // 10 unknown type
    play({ event_id: 'e-11', ts: '2025-03-01T12:00:00+02:00' }), // 11 ok, normalised
    '[1, 2, 3]', // 12 not an object
    play({ event_id: 'e-13', ts: '2025-03-01 10:00:00' }), // 13 no time zone
    play({ event_id: 'e-14' }), // 14 ok
  ];
  const file = `${lines.join('\n')}\n`;

  it('accounts for every row: accepted + rejected = read, blank lines apart', async () => {
    const result = await importEvents(readImportRows(chunked(file, 4096), { name: 'broken.jsonl' }));

    expect(result.read).toBe(12);
    expect(result.blankLines).toBe(2);
    expect(result.accepted.length + result.rejected.length).toBe(result.read);
    expect(result.accepted.map((event) => event.event_id)).toEqual(['e-1', 'e-11', 'e-14']);
  });

  it('gives each reject its line number and a reason that names the field and the rule', async () => {
    const result = await importEvents(readImportRows(chunked(file, 4096), { name: 'broken.jsonl' }));

    const reasons = Object.fromEntries(result.rejected.map((reject) => [reject.line, reject.reason]));
    expect(reasons[2]).toMatch(/^json: not valid JSON/);
    expect(reasons[3]).toBe('user_id: required, expected string');
    expect(reasons[4]).toBe('ts: expected ISO 8601 UTC timestamp, got "yesterday"');
    expect(reasons[5]).toBe('properties.minutes: expected number, got "42"');
    expect(reasons[7]).toMatch(/^line: 2,097,\d{3} bytes, over the limit of 1,048,576 bytes per record$/);
    expect(reasons[9]).toBe('user_id: expected string, got 42');
    expect(reasons[10]).toMatch(/^type: expected one of session_start, .* got "teleport"$/);
    expect(reasons[12]).toBe('json: expected an object per line, got an array');
    expect(reasons[13]).toMatch(/^ts: .*without a time zone \(ambiguous/);
    for (const reject of result.rejected) expect(reject.raw.length).toBeGreaterThan(0);
  });

  it('normalises an unambiguous timestamp to ISO UTC', async () => {
    const result = await importEvents(readImportRows(chunked(file, 4096), { name: 'broken.jsonl' }));

    expect(result.accepted.find((event) => event.event_id === 'e-11')?.ts).toBe('2025-03-01T10:00:00.000Z');
  });

  it('reads the same file gzipped', async () => {
    const result = await importEvents(
      readImportRows(chunked(gzipped(file), 8192), { name: 'broken.jsonl.gz' }),
    );

    expect([result.read, result.accepted.length, result.rejected.length]).toEqual([12, 3, 9]);
  });
});

describe('importEvents from CSV with column mapping', () => {
  const csv = [
    'customer,when,kind,properties.content_id,properties.genre,properties.minutes,properties.completion,properties.topic',
    'u-1,2025-03-01T10:00:00Z,play,123,drama,42,0.5,',
    'u-2,1740823200,support_ticket,,,,,billing',
    'u-3,2025-03-01T10:00:00Z,play,c-1,drama,lots,0.5,',
  ].join('\n');

  it('maps columns to fields, builds properties from properties.* columns and reads numbers the schema wants', async () => {
    const result = await importEvents(readImportRows(chunked(csv), { name: 'events.csv' }), {
      mapping: { id: 'customer', ts: 'when', type: 'kind' },
    });

    expect(result.read).toBe(3);
    const [playEvent, ticket] = result.accepted;
    // content_id stays text although it looks numeric: the schema wants text there.
    expect(playEvent?.properties).toEqual({
      content_id: '123',
      genre: 'drama',
      minutes: 42,
      completion: 0.5,
    });
    expect(ticket).toMatchObject({ user_id: 'u-2', ts: '2025-03-01T10:00:00.000Z', type: 'support_ticket' });
    expect(ticket?.properties).toEqual({ topic: 'billing' });
    expect(result.rejected).toEqual([
      {
        line: 4,
        reason: 'properties.minutes: expected number, got "lots"',
        raw: 'u-3,2025-03-01T10:00:00Z,play,c-1,drama,lots,0.5,',
      },
    ]);
  });

  it('derives the same event id for the same content, so a re-import de-duplicates', async () => {
    const first = await importEvents(readImportRows(chunked(csv), { name: 'events.csv' }), {
      mapping: { id: 'customer', ts: 'when', type: 'kind' },
    });
    const second = await importEvents(readImportRows(chunked(csv, 3), { name: 'events.csv' }), {
      mapping: { id: 'customer', ts: 'when', type: 'kind' },
    });

    expect(first.accepted.map((event) => event.event_id)).toEqual(
      second.accepted.map((event) => event.event_id),
    );
    expect(first.accepted[0]?.event_id).toMatch(/^imp-[0-9a-f]{32}$/);
    expect(deriveEventId({ user_id: 'a', ts: 't', type: 'play', properties: {} })).not.toBe(
      deriveEventId({ user_id: 'b', ts: 't', type: 'play', properties: {} }),
    );
  });

  it('does not coerce JSON values: a string where a number belongs is the producer bug it looks like', () => {
    const result = toEvent({
      format: 'jsonl',
      record: { user_id: 'u', ts: '2025-03-01T10:00:00Z', type: 'buffering', properties: { seconds: '3' } },
    });

    expect(result).toEqual({ ok: false, reason: 'properties.seconds: expected number, got "3"' });
  });
});

describe('normaliseTimestamp', () => {
  it.each([
    ['2025-03-01T10:00:00Z', '2025-03-01T10:00:00Z'],
    ['2025-03-01T10:00:00.123456+00:00', '2025-03-01T10:00:00.123456+00:00'],
    ['2025-03-01T12:30:00+02:30', '2025-03-01T10:00:00.000Z'],
    ['2025-03-01 05:00:00-0500', '2025-03-01T10:00:00.000Z'],
    [1740823200, '2025-03-01T10:00:00.000Z'],
    [1740823200000, '2025-03-01T10:00:00.000Z'],
    ['1740823200', '2025-03-01T10:00:00.000Z'],
  ])('turns %s into %s', (input, expected) => {
    expect(normaliseTimestamp(input)).toEqual({ ok: true, ts: expected });
  });

  it.each([
    ['2025-03-01T10:00:00', /without a time zone/],
    ['03/04/2025 10:00', /expected ISO 8601 UTC/],
    ['2025-02-30T10:00:00+01:00', /not a real calendar instant/],
    ['2025-03-01', /bare date/],
    [17408232, /ambiguous/],
    [true, /expected ISO 8601 UTC timestamp, got true/],
  ])('rejects %s', (input, rule) => {
    const result = normaliseTimestamp(input);
    expect(result.ok).toBe(false);
    expect(result.ok === false && result.rule).toMatch(rule);
  });

  it('accepts a bare date as midnight UTC only when asked (label and profile dates)', () => {
    expect(normaliseTimestamp('2025-03-01', { allowDateOnly: true })).toEqual({
      ok: true,
      ts: '2025-03-01T00:00:00.000Z',
    });
  });
});
