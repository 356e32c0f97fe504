import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { profilesCsv } from '../../../ml/simulate/output.js';
import { runSimulationSync } from '../../../ml/simulate/simulation.js';

function fingerprint(seed: number): { events: string; profiles: string; count: number } {
  const hash = createHash('sha256');
  const result = runSimulationSync(
    { customers: 400, days: 60, seed },
    { onDay: (day) => hash.update(day.jsonl) },
  );
  return {
    events: hash.digest('hex'),
    profiles: createHash('sha256').update(profilesCsv(result)).digest('hex'),
    count: result.events,
  };
}

describe('simulation determinism', () => {
  it('repeats bit for bit for the same seed', () => {
    const first = fingerprint(7);
    const second = fingerprint(7);
    expect(first.count).toBeGreaterThan(10_000);
    expect(second).toEqual(first);
  });

  it('differs for a different seed', () => {
    const first = fingerprint(7);
    const other = fingerprint(8);
    expect(other.events).not.toBe(first.events);
    expect(other.profiles).not.toBe(first.profiles);
  });
});
