/**
 * Throughput of the feature processor's hot path: schema validation (`parseEvent` on
 * JSON-parsed records) plus folding into day aggregates (`addEvent`), on a simulated stream.
 * `npm run bench -- features-core [customers] [days]`
 */
import { availableParallelism } from 'node:os';
import {
  addEvent,
  aggregateEvents,
  type DayAggregate,
  dayOf,
  emptyDay,
} from '../ml/features/day-aggregate.js';
import { computeFeatures } from '../ml/features/features.js';
import { type Event, parseEvent } from '../ml/schema/index.js';
import { INITIAL_HAZARD_SCALE, runSimulationSync } from '../ml/simulate/simulation.js';

const customers = Number(process.argv[2] ?? 1800);
const days = Number(process.argv[3] ?? 90);
const ROUNDS = 7;

const records: unknown[] = [];
runSimulationSync(
  { customers, days, seed: 2024 },
  {
    onDay: (day) => {
      for (const line of day.jsonl.toString('latin1').split('\n'))
        if (line !== '') records.push(JSON.parse(line));
    },
  },
  { hazardScale: INITIAL_HAZARD_SCALE },
);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Seconds of CPU this process used while `run` ran: steadier than wall time on a shared machine. */
function cpuSeconds(run: () => void): number {
  const before = process.cpuUsage();
  run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

function measure(name: string, run: () => number): { name: string; eventsPerSecond: number } {
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let count = 0;
    const seconds = cpuSeconds(() => {
      count = run();
    });
    rates.push(count / seconds);
  }
  return { name, eventsPerSecond: Math.round(median(rates)) };
}

function parseAll(): Event[] {
  const events: Event[] = [];
  for (const record of records) {
    const parsed = parseEvent(record);
    if (parsed.ok) events.push(parsed.event);
  }
  return events;
}

const events = parseAll();
const results = [
  measure('parseEvent', () => parseAll().length),
  measure('addEvent (one reused day)', () => {
    const day = emptyDay();
    for (const event of events) addEvent(day, event);
    return events.length;
  }),
  measure('parseEvent + addEvent (one reused day)', () => {
    const day = emptyDay();
    for (const record of records) {
      const parsed = parseEvent(record);
      if (parsed.ok) addEvent(day, parsed.event);
    }
    return records.length;
  }),
  measure('parseEvent + dayOf + addEvent per customer-day (processor shape)', () => {
    const groups = new Map<string, DayAggregate>();
    for (const record of records) {
      const parsed = parseEvent(record);
      if (!parsed.ok) continue;
      const key = `${parsed.event.user_id}\u0000${dayOf(parsed.event.ts)}`;
      let day = groups.get(key);
      if (day === undefined) {
        day = emptyDay();
        groups.set(key, day);
      }
      addEvent(day, parsed.event);
    }
    return records.length;
  }),
  measure('aggregateEvents (parsed events)', () => {
    aggregateEvents(events);
    return events.length;
  }),
];

const aggregates = aggregateEvents(events);
const asOf = new Date(Date.parse('2025-01-01') + days * 86_400_000).toISOString().slice(0, 10);
const featureRates: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const seconds = cpuSeconds(() => {
    for (const [userId, history] of aggregates) computeFeatures({ userId, days: history }, asOf);
  });
  featureRates.push(aggregates.size / seconds);
}
const customersPerSecond = Math.round(median(featureRates));

process.stdout.write(
  `${records.length} simulated events (${customers} customers x ${days} days), median of ${ROUNDS} rounds, per CPU-second of this process\n\n`,
);
process.stdout.write(`${'step'.padEnd(68)}events per CPU-second\n`);
for (const result of results) {
  process.stdout.write(
    `${result.name.padEnd(68)}${result.eventsPerSecond.toLocaleString('en-US').padStart(12)}\n`,
  );
}
process.stdout.write(
  `${'computeFeatures (customers/s, 90-day histories)'.padEnd(68)}${customersPerSecond.toLocaleString('en-US').padStart(12)}\n\n`,
);
process.stdout.write(
  `${JSON.stringify({
    benchmark: 'features-core',
    events: records.length,
    target_events_per_second: 300_000,
    results: Object.fromEntries(results.map((result) => [result.name, result.eventsPerSecond])),
    reference: { parseEvent: results[0]?.eventsPerSecond },
    compute_features_customers_per_second: customersPerSecond,
    cores: availableParallelism(),
  })}\n`,
);
