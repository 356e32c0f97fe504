import { mkdir, open, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { isoAtDay } from './calendar.js';
import {
  ACTIVITY_SEGMENTS,
  CHANNELS,
  COUNTRIES,
  DEVICES,
  PLANS,
  TASTE_SEGMENTS,
  USAGE_PATTERNS,
} from './catalog.js';
import { type Customer, Phase } from './customer.js';
import {
  runSimulation,
  type SimulationOptions,
  type SimulationProgress,
  type SimulationResult,
} from './simulation.js';
import { type SimulationSummary, summarizeSimulation } from './summary.js';

const gzipAsync = promisify(gzip);

export const SIMULATION_FILES = {
  events: 'events.jsonl.gz',
  profiles: 'profiles.csv',
  labels: 'labels.csv',
  oracle: 'oracle.csv',
  segments: 'segments.csv',
  summary: 'summary.json',
} as const;

export const PROFILE_COLUMNS = [
  'user_id',
  'registered_at',
  'plan',
  'monthly_price',
  'channel',
  'country',
  'device',
  'manager_id',
  'referred_by',
] as const;

export const LABEL_COLUMNS = [
  'user_id',
  'as_of',
  'churned',
  'churn_date',
  'paid_until',
  'status',
  'cancelled_at',
  'churn_cause',
  'confirmed',
] as const;

export const ORACLE_COLUMNS = ['user_id', 'cutoff', 'probability', 'label'] as const;
export const SEGMENT_COLUMNS = ['user_id', 'activity', 'taste', 'usage', 'group_id', 'promo_end'] as const;

export interface WriteSimulationHooks {
  readonly onProgress?: (progress: SimulationProgress) => void;
  /** gzip level for events (1 = fastest; the default keeps a 100k-customer run inside its time budget). */
  readonly compressionLevel?: number;
}

export interface WrittenSimulation {
  readonly summary: SimulationSummary;
  readonly result: SimulationResult;
  readonly directory: string;
  /** Size in bytes of each file written. */
  readonly bytes: Readonly<Record<keyof typeof SIMULATION_FILES, number>>;
}

/** Days being compressed at once; the simulation waits for the oldest beyond this. */
const MAX_DAYS_IN_FLIGHT = 6;

/**
 * Runs the simulation and writes its files into `directory`: events as gzipped JSON lines in
 * time order, profiles, labels, the oracle's probabilities, hidden segments and a summary.
 *
 * Each day is compressed as its own gzip member (a file of concatenated members is one valid
 * gzip stream for gunzip, zlib and Spark) by one libuv thread-pool job, while the main thread
 * simulates the next days; so a run keeps two cores busy. A large output buffer lets one job
 * finish a day without round trips through the main thread's event loop.
 */
export async function writeSimulation(
  options: SimulationOptions,
  directory: string,
  hooks: WriteSimulationHooks = {},
): Promise<WrittenSimulation> {
  await mkdir(directory, { recursive: true });
  const path = (file: keyof typeof SIMULATION_FILES): string => join(directory, SIMULATION_FILES[file]);
  const events = await open(path('events'), 'w');
  const level = hooks.compressionLevel ?? 1;
  const inFlight: Array<Promise<Buffer>> = [];
  // Members are written in day order; writeFile writes the whole buffer at the current position.
  const writeOldest = async (): Promise<void> => {
    const oldest = inFlight.shift();
    if (oldest !== undefined) await events.writeFile(await oldest);
  };
  let result: SimulationResult;
  try {
    result = await runSimulation(options, {
      onProgress: hooks.onProgress,
      onDay: async (day) => {
        if (day.count > 0) {
          inFlight.push(gzipAsync(day.jsonl, { level, chunkSize: Math.max(1 << 16, day.jsonl.length >> 1) }));
        }
        while (inFlight.length > MAX_DAYS_IN_FLIGHT) await writeOldest();
        // One turn of the event loop lets finished compression jobs hand over their output.
        await new Promise<void>((resolve) => setImmediate(resolve));
      },
    });
    while (inFlight.length > 0) await writeOldest();
  } finally {
    await events.close();
  }

  const summary = summarizeSimulation(result);
  await Promise.all([
    writeFile(path('profiles'), profilesCsv(result)),
    writeFile(path('labels'), labelsCsv(result)),
    writeFile(path('oracle'), oracleCsv(result)),
    writeFile(path('segments'), segmentsCsv(result)),
    writeFile(path('summary'), `${JSON.stringify(summary, null, 2)}\n`),
  ]);
  const bytes = Object.fromEntries(
    await Promise.all(
      (Object.keys(SIMULATION_FILES) as Array<keyof typeof SIMULATION_FILES>).map(
        async (file) => [file, (await stat(path(file))).size] as const,
      ),
    ),
  ) as Record<keyof typeof SIMULATION_FILES, number>;
  return { summary, result, directory, bytes };
}

function iso(result: SimulationResult, day: number): string {
  return isoAtDay(result.world.startMs, day);
}

function csv(header: readonly string[], rows: string[]): string {
  return `${header.join(',')}\n${rows.join('\n')}${rows.length > 0 ? '\n' : ''}`;
}

export function profilesCsv(result: SimulationResult): string {
  const { customers } = result;
  const rows = customers.map((customer) => {
    const referrer = customer.referrer >= 0 ? (customers[customer.referrer]?.userId ?? '') : '';
    return [
      customer.userId,
      new Date(customer.registeredMs).toISOString(),
      PLANS[customer.plan]?.name ?? '',
      customer.listPrice.toFixed(2),
      CHANNELS[customer.channel]?.name ?? '',
      COUNTRIES[customer.country]?.code ?? '',
      DEVICES[customer.device]?.name ?? '',
      customer.managerId,
      referrer,
    ].join(',');
  });
  return csv(PROFILE_COLUMNS, rows);
}

function statusOf(customer: Customer): string {
  switch (customer.phase) {
    case Phase.Churned:
      return 'churned';
    case Phase.Cancelled:
      return 'cancelled';
    case Phase.OnHold:
      return 'on_hold';
    case Phase.Lapsed:
      return 'lapsed_returning';
    default:
      return 'active';
  }
}

export function labelsCsv(result: SimulationResult): string {
  const { days } = result.options;
  const asOf = iso(result, days);
  const rows = result.customers.map((customer) => {
    const churned = customer.churnDay >= 0;
    const paidUntil = churned
      ? customer.churnDay
      : customer.phase === Phase.OnHold
        ? customer.holdStart
        : customer.paidUntil;
    const cancelled = customer.cancelledDay > Number.NEGATIVE_INFINITY && customer.cancelledDay >= 0;
    return [
      customer.userId,
      asOf,
      String(churned),
      churned ? iso(result, customer.churnDay) : '',
      iso(result, paidUntil),
      statusOf(customer),
      cancelled && (churned || customer.phase === Phase.Cancelled) ? iso(result, customer.cancelledDay) : '',
      churned ? customer.churnCause : '',
      // Whether the 30 quiet days after the paid period lie inside the simulated period.
      String(churned && customer.churnDay + 30 <= days),
    ].join(',');
  });
  return csv(LABEL_COLUMNS, rows);
}

export function oracleCsv(result: SimulationResult): string {
  const { oracle, customers } = result;
  const cutoffIso = new Map(result.options.cutoffs.map((cutoff) => [cutoff, iso(result, cutoff)]));
  const rows: string[] = new Array(oracle.length);
  for (let row = 0; row < oracle.length; row++) {
    const customer = customers[oracle.customer[row] ?? 0];
    rows[row] =
      `${customer?.userId ?? ''},${cutoffIso.get(oracle.cutoff[row] ?? 0) ?? ''},${(oracle.probability[row] ?? 0).toFixed(6)},${oracle.label[row] ?? 0}`;
  }
  return csv(ORACLE_COLUMNS, rows);
}

export function segmentsCsv(result: SimulationResult): string {
  const { customers, options } = result;
  const rows = customers.map((customer) =>
    [
      customer.userId,
      ACTIVITY_SEGMENTS[customer.activity] ?? '',
      TASTE_SEGMENTS[customer.taste] ?? '',
      USAGE_PATTERNS[customer.usage] ?? '',
      customers[customer.groupStart]?.userId ?? '',
      customer.promoEndDay < options.days + 400 ? iso(result, customer.promoEndDay) : '',
    ].join(','),
  );
  return csv(SEGMENT_COLUMNS, rows);
}
