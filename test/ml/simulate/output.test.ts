import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEventJson, parseLabelCsvRow, parseProfileCsvRow } from '../../../ml/schema/index.js';
import {
  LABEL_COLUMNS,
  ORACLE_COLUMNS,
  PROFILE_COLUMNS,
  SIMULATION_FILES,
  type WrittenSimulation,
  writeSimulation,
} from '../../../ml/simulate/output.js';

let directory: string;
let written: WrittenSimulation;
const progressDays: number[] = [];

/** Splits our CSV (no quoted cells: the simulator writes none) into header-keyed rows. */
function readCsv(text: string): { header: string[]; rows: Array<Record<string, string>> } {
  const [headerLine = '', ...lines] = text.trimEnd().split('\n');
  const header = headerLine.split(',');
  const rows = lines.map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(header.map((column, index) => [column, cells[index] ?? '']));
  });
  return { header, rows };
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'churn-simulate-'));
  written = await writeSimulation({ customers: 600, days: 75, seed: 3, start: '2025-03-01' }, directory, {
    onProgress: (progress) => progressDays.push(progress.day),
  });
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('writeSimulation', () => {
  it('reports progress once per simulated day', () => {
    expect(progressDays).toEqual(Array.from({ length: 75 }, (_, index) => index + 1));
  });

  it('writes gzipped JSON lines that validate and match the event count', async () => {
    const text = gunzipSync(await readFile(join(directory, SIMULATION_FILES.events))).toString('utf8');
    const lines = text.trimEnd().split('\n');
    expect(lines.length).toBe(written.summary.events.total);
    const invalid = lines.map(parseEventJson).filter((result) => !result.ok);
    expect(invalid).toEqual([]);
    const first = parseEventJson(lines[0] ?? '');
    if (!first.ok) throw new Error(first.reason);
    expect(first.event.ts.startsWith('2025-03-01T')).toBe(true);
    expect(written.bytes.events).toBeGreaterThan(1000);
  });

  it('writes one valid profile and one valid label per customer', async () => {
    const profiles = readCsv(await readFile(join(directory, SIMULATION_FILES.profiles), 'utf8'));
    expect(profiles.header).toEqual([...PROFILE_COLUMNS]);
    expect(profiles.rows.length).toBe(600);
    for (const row of profiles.rows) {
      const parsed = parseProfileCsvRow(row);
      expect(parsed.ok ? 'ok' : parsed.reason).toBe('ok');
    }
    const labels = readCsv(await readFile(join(directory, SIMULATION_FILES.labels), 'utf8'));
    expect(labels.header).toEqual([...LABEL_COLUMNS]);
    expect(labels.rows.length).toBe(600);
    for (const row of labels.rows) {
      const parsed = parseLabelCsvRow(row);
      expect(parsed.ok ? 'ok' : parsed.reason).toBe('ok');
    }
    const churned = labels.rows.filter((row) => row.churned === 'true');
    expect(churned.length).toBe(written.summary.churn.churned);
    expect(churned.every((row) => row.status === 'churned' && row.churn_date === row.paid_until)).toBe(true);
  });

  it('writes the oracle rows and a summary that agrees with them', async () => {
    const oracle = readCsv(await readFile(join(directory, SIMULATION_FILES.oracle), 'utf8'));
    expect(oracle.header).toEqual([...ORACLE_COLUMNS]);
    expect(oracle.rows.length).toBe(written.summary.oracle.rows);
    expect(new Set(oracle.rows.map((row) => row.cutoff))).toEqual(new Set(['2025-03-31T00:00:00.000Z']));
    for (const row of oracle.rows) {
      const probability = Number(row.probability);
      expect(probability).toBeGreaterThanOrEqual(0);
      expect(probability).toBeLessThanOrEqual(1);
      expect(['0', '1']).toContain(row.label);
    }
    const summary = JSON.parse(await readFile(join(directory, SIMULATION_FILES.summary), 'utf8'));
    expect(summary).toEqual(written.summary);
    expect(summary.customers).toBe(600);
    expect(summary.start).toBe('2025-03-01T00:00:00.000Z');
  });
});
