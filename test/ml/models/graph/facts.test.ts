import { describe, expect, it } from 'vitest';
import { type GraphExample, HIGH_RISK_SHARE, neighbourhoodFacts } from '../../../../ml/models/graph/index.js';

function customer(user_id: string, neighbours: string[]): GraphExample {
  return { user_id, neighbours, features: {}, label: null };
}

describe('neighbourhoodFacts', () => {
  // a: b and c are customers, x and y are gone (a lists b twice and itself: counted once, never).
  const snapshot = [
    customer('a', ['b', 'x', 'c', 'b', 'a', 'y']),
    customer('b', ['a']),
    customer('c', ['a', 'z']),
    customer('d', []),
  ];

  it('counts neighbours, those gone and those current, without margins', () => {
    const facts = neighbourhoodFacts(snapshot);
    expect(
      facts.map(({ user_id, neighbours, neighboursGone, neighboursCurrent }) => [
        user_id,
        neighbours,
        neighboursGone,
        neighboursCurrent,
      ]),
    ).toEqual([
      ['a', 4, 2, 2],
      ['b', 1, 0, 1],
      ['c', 2, 1, 1],
      ['d', 0, 0, 0],
    ]);
    expect(
      facts.every((fact) => Number.isNaN(fact.riskyNeighbours) && Number.isNaN(fact.meanNeighbourMargin)),
    ).toBe(true);
  });

  it('counts high-risk current neighbours at a given margin and averages their margins', () => {
    const margins = Float64Array.from([2, -1, 0.5, 3]);
    const facts = neighbourhoodFacts(snapshot, margins, { highRiskMargin: 0.5 });
    expect(facts.map((fact) => [fact.riskyNeighbours, fact.meanNeighbourMargin])).toEqual([
      [1, -0.25], // b (-1) is not high-risk, c (0.5) is, at >= 0.5
      [1, 2],
      [1, 2],
      [0, Number.NaN],
    ]);
  });

  it('by default calls the top tenth of the given margins high-risk', () => {
    expect(HIGH_RISK_SHARE).toBe(0.1);
    const margins = Float64Array.from([2, -1, 0.5, 3]);
    // One of four is the top tenth (rounded up): d, 3. Nobody links to d.
    expect(neighbourhoodFacts(snapshot, margins).map((fact) => fact.riskyNeighbours)).toEqual([0, 0, 0, 0]);
    expect(neighbourhoodFacts(snapshot, Float64Array.from([2, 4, 0.5, 3]))[0]?.riskyNeighbours).toBe(1);
  });

  it('names what is wrong', () => {
    expect(() => neighbourhoodFacts(snapshot, new Float64Array(3))).toThrow(
      'margins: expected 4 values (one per example), got 3',
    );
    expect(() => neighbourhoodFacts([customer('', [])])).toThrow(
      'examples[0].user_id: expected a non-empty string',
    );
  });
});
