import type { Event } from '../../ml/schema/index.js';
import { parseEventJson } from '../../ml/schema/index.js';
import { Random } from '../../ml/simulate/random.js';
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

/** A seeded generator (the simulator's), so a failing fault-injection run can be replayed. */
export function seededRandom(seed: number): () => number {
  const random = new Random(seed);
  return () => random.next();
}
