import { parse } from 'csv-parse/sync';
import { addDays, addEvent, type DayAggregate, dayOf, emptyDay } from '../features/day-aggregate.js';
import { graphNeighbours } from '../features/graph.js';
import { type CustomerHistory, LOOKBACK_DAYS, type ProfileLike } from '../features/history.js';
import { activitySequence } from '../features/sequence.js';
import { buildSnapshotRows, type LabelLike, type SnapshotRow } from '../features/snapshot.js';
import { parseEventJson, parseProfileCsvRow } from '../schema/index.js';
import { profilesCsv } from './output.js';
import { runSimulationSync, type SimulationOptions, type SimulationResult } from './simulation.js';

export interface SimulatedHistories {
  readonly result: SimulationResult;
  /** One per customer with events or a profile, sorted by user id. */
  readonly histories: CustomerHistory[];
  /** The simulator's truth: every customer's churn date (null for those who stayed). */
  readonly labels: Map<string, LabelLike>;
}

/**
 * Runs the simulator in memory and folds its events into the day aggregates the feature store
 * keeps, through the same event and profile contracts an import uses (so an event the simulator
 * gets wrong fails here, not in a model). Raw events are never held: each day is folded as it
 * comes. For tests and benchmarks that need snapshots without the local cloud.
 */
export function simulateHistories(
  options: SimulationOptions,
  onProgress?: (day: number, days: number) => void,
): SimulatedHistories {
  const dayMaps = new Map<string, Map<string, DayAggregate>>();
  const result = runSimulationSync(options, {
    onDay: (day) => {
      const text = day.jsonl.toString('latin1');
      let start = 0;
      while (start < text.length) {
        let end = text.indexOf('\n', start);
        if (end < 0) end = text.length;
        const line = text.slice(start, end);
        start = end + 1;
        if (line === '') continue;
        const parsed = parseEventJson(line);
        if (!parsed.ok) throw new Error(`the simulator wrote an invalid event: ${parsed.reason}`);
        const event = parsed.event;
        let daysOfCustomer = dayMaps.get(event.user_id);
        if (daysOfCustomer === undefined) {
          daysOfCustomer = new Map();
          dayMaps.set(event.user_id, daysOfCustomer);
        }
        const key = dayOf(event.ts);
        let aggregate = daysOfCustomer.get(key);
        if (aggregate === undefined) {
          aggregate = emptyDay();
          daysOfCustomer.set(key, aggregate);
        }
        addEvent(aggregate, event);
      }
      onProgress?.(day.day + 1, options.days);
    },
  });
  const records: unknown = parse(profilesCsv(result), { columns: true });
  const profiles = new Map<string, ProfileLike>();
  for (const record of Array.isArray(records) ? records : []) {
    const parsed = parseProfileCsvRow(record);
    if (!parsed.ok) throw new Error(`the simulator wrote an invalid profile: ${parsed.reason}`);
    profiles.set(parsed.profile.user_id, parsed.profile);
  }
  const labels = new Map<string, LabelLike>();
  for (const customer of result.customers) {
    const churnDate = customer.churnDay >= 0 ? addDays(result.options.start, customer.churnDay) : null;
    labels.set(customer.userId, { churn_date: churnDate });
  }
  const histories: CustomerHistory[] = [...new Set([...dayMaps.keys(), ...profiles.keys()])]
    .sort()
    .map((userId) => {
      const profile = profiles.get(userId);
      return {
        userId,
        days: dayMaps.get(userId) ?? new Map<string, DayAggregate>(),
        ...(profile === undefined ? {} : { profile }),
      };
    });
  return { result, histories, labels };
}

/** A snapshot row with what every model part reads (the shape of a stored snapshot record). */
export interface SimulatedExample extends SnapshotRow {
  readonly activity_sequence: Float32Array;
  readonly neighbours: readonly string[];
}

/**
 * Point-in-time rows as of `asOf` with their activity sequences (`LOOKBACK_DAYS` days) and graph
 * neighbours: what `churn snapshot` writes, built in memory.
 */
export function simulatedExamples(
  histories: readonly CustomerHistory[],
  labels: ReadonlyMap<string, LabelLike>,
  asOf: string,
  horizonDays = 30,
): SimulatedExample[] {
  const byId = new Map(histories.map((history) => [history.userId, history]));
  return buildSnapshotRows({ histories, asOf, horizonDays, labels }).map((row) => {
    const history = byId.get(row.user_id) as CustomerHistory;
    return {
      ...row,
      activity_sequence: activitySequence(history, asOf, LOOKBACK_DAYS),
      neighbours: graphNeighbours(history, asOf),
    };
  });
}
