import type { Event } from '../../ml/schema/index.js';
import { parseEventJson } from '../../ml/schema/index.js';
import { runSimulationSync } from '../../ml/simulate/simulation.js';

/** A small simulated service whose period ends yesterday, so its events are not "late" today. */
export function simulatedEvents(options: { customers: number; days: number; seed: number }): Event[] {
  const start = new Date(Date.now() - (options.days + 1) * 86_400_000).toISOString().slice(0, 10);
  const events: Event[] = [];
  runSimulationSync(
    { ...options, start },
    {
      onDay: (day) => {
        for (const line of day.jsonl.toString('utf8').split('\n')) {
          if (line === '') continue;
          const parsed = parseEventJson(line);
          if (!parsed.ok) throw new Error(`simulator wrote an invalid event: ${parsed.reason}`);
          events.push(parsed.event);
        }
      },
    },
  );
  return events;
}

/** mulberry32: a seeded generator, so a failing fault-injection run can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
