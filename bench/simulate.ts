/**
 * Simulator benchmark: a 100k-customer x 180-day run written to disk (goal: under 2 minutes on
 * 2 cores), and the validation throughput of `parseEvent` on the events it wrote, against zod.
 *
 *   npx tsx bench/simulate.ts [--customers N] [--days D] [--seed S] [--keep DIR]
 *
 * The last line printed is one JSON object with the figures.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createGunzip } from 'node:zlib';
import { EventSchema, parseEvent } from '../ml/schema/index.js';
import { formatRows, SIMULATION_FILES, summaryRows, writeSimulation } from '../ml/simulate/index.js';
import { wholeNumber } from './lib/args.js';

const GOAL_SECONDS = 120;
const PARSE_SAMPLE = 300_000;

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '100000' },
    days: { type: 'string', default: '180' },
    seed: { type: 'string', default: '1' },
    keep: { type: 'string' },
  },
});

const customers = wholeNumber('customers', values.customers);
const days = wholeNumber('days', values.days);
const seed = wholeNumber('seed', values.seed);
const directory = values.keep ?? (await mkdtemp(join(tmpdir(), 'churn-bench-simulate-')));

async function readSample(path: string, limit: number): Promise<string[]> {
  const lines: string[] = [];
  const reader = createInterface({
    input: createReadStream(path).pipe(createGunzip()),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const line of reader) {
    lines.push(line);
    if (lines.length >= limit) break;
  }
  reader.close();
  return lines;
}

/** Events per second through `validate`, best of three passes over the sample. */
function throughput(sample: readonly unknown[], validate: (input: unknown) => boolean): number {
  let best = Number.POSITIVE_INFINITY;
  for (let pass = 0; pass < 3; pass++) {
    const began = performance.now();
    let valid = 0;
    for (const input of sample) if (validate(input)) valid += 1;
    const seconds = (performance.now() - began) / 1000;
    if (valid !== sample.length)
      throw new Error(`${sample.length - valid} simulated events failed validation`);
    best = Math.min(best, seconds);
  }
  return sample.length / best;
}

try {
  process.stderr.write(
    `simulating ${customers.toLocaleString('en-US')} customers x ${days} days into ${directory}\n`,
  );
  const began = performance.now();
  const written = await writeSimulation({ customers, days, seed }, directory, {
    onProgress: (progress) => {
      if (progress.day % 30 === 0 || progress.day === progress.days) {
        process.stderr.write(
          `  day ${progress.day}/${progress.days}: ${progress.events.toLocaleString('en-US')} events, ${progress.elapsedSeconds.toFixed(1)} s\n`,
        );
      }
    },
  });
  const seconds = (performance.now() - began) / 1000;
  const { summary, bytes } = written;
  const outputMb = Object.values(bytes).reduce((sum, size) => sum + size, 0) / 1e6;

  const lines = await readSample(join(directory, SIMULATION_FILES.events), PARSE_SAMPLE);
  const objects = lines.map((line): unknown => JSON.parse(line));
  const parseJsonAndValidate = throughput(
    lines,
    (line) => typeof line === 'string' && parseEvent(JSON.parse(line)).ok,
  );
  const parseEventOnly = throughput(objects, (input) => parseEvent(input).ok);
  const zodOnly = throughput(objects, (input) => EventSchema.safeParse(input).success);

  const rate = (value: number): string => `${Math.round(value).toLocaleString('en-US')}/s`;
  const rows: Array<[string, string]> = [
    ['run time', `${seconds.toFixed(1)} s including output (goal < ${GOAL_SECONDS} s on 2 cores)`],
    ['events/s', rate(summary.events.total / seconds)],
    ['output', `${outputMb.toFixed(1)} MB (events.jsonl.gz ${(bytes.events / 1e6).toFixed(1)} MB)`],
    ...summaryRows(summary),
    [
      'parse+validate',
      `${rate(parseJsonAndValidate)} (JSON.parse + parseEvent, ${lines.length.toLocaleString('en-US')} events)`,
    ],
    ['parseEvent', `${rate(parseEventOnly)} (reference: zod alone ${rate(zodOnly)})`],
    ['cores', String(availableParallelism())],
  ];
  process.stdout.write(
    `\nsimulate: ${customers.toLocaleString('en-US')} customers x ${days} days\n${formatRows(rows)}\n`,
  );
  process.stdout.write(
    `${JSON.stringify({
      bench: 'simulate',
      customers,
      days,
      events: summary.events.total,
      seconds: Number(seconds.toFixed(2)),
      events_per_s: Math.round(summary.events.total / seconds),
      output_mb: Number(outputMb.toFixed(1)),
      events_gz_mb: Number((bytes.events / 1e6).toFixed(1)),
      oracle_auc: summary.oracle.auc,
      churn_rate_monthly: summary.churn.monthly_rate,
      events_per_customer: summary.events.per_customer,
      goal_seconds: GOAL_SECONDS,
      parse_validate_events_per_s: Math.round(parseJsonAndValidate),
      parse_event_per_s: Math.round(parseEventOnly),
      reference_zod_events_per_s: Math.round(zodOnly),
      cores: availableParallelism(),
    })}\n`,
  );
} finally {
  if (values.keep === undefined) await rm(directory, { recursive: true, force: true });
}
