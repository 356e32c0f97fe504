import { describe, expect, it } from 'vitest';
import { addMonthsDay, parseStartDate } from '../../../ml/simulate/calendar.js';
import { Customer, Phase } from '../../../ml/simulate/customer.js';
import { windowChurnProbability } from '../../../ml/simulate/oracle.js';
import { cumulative, deriveSeed, Random } from '../../../ml/simulate/random.js';
import { rocAuc } from '../../../ml/simulate/roc-auc.js';
import {
  calibrateHazardScale,
  DEFAULT_MONTHLY_CHURN,
  INITIAL_HAZARD_SCALE,
  runSimulationSync,
} from '../../../ml/simulate/simulation.js';
import { summarizeSimulation } from '../../../ml/simulate/summary.js';
import { buildWorld, parseDriftScenario } from '../../../ml/simulate/world.js';

describe('Random', () => {
  it('repeats a stream for a seed and differs between seeds', () => {
    const draw = (seed: number) =>
      Array.from(
        { length: 5 },
        (
          (random) => () =>
            random.uint32()
        )(new Random(seed)),
      );
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
    expect(deriveSeed(1, 2, 3)).not.toBe(deriveSeed(1, 3, 2));
  });

  it('draws with the right moments', () => {
    const random = new Random(99);
    const n = 50_000;
    let uniform = 0;
    let normal = 0;
    let normalSquares = 0;
    let poisson = 0;
    const picks = [0, 0, 0];
    const weights = cumulative([1, 2, 7]);
    for (let i = 0; i < n; i++) {
      uniform += random.next();
      const z = random.normal();
      normal += z;
      normalSquares += z * z;
      poisson += random.poisson(2.5);
      const index = random.weighted(weights);
      picks[index] = (picks[index] ?? 0) + 1;
    }
    expect(uniform / n).toBeCloseTo(0.5, 2);
    expect(normal / n).toBeCloseTo(0, 1);
    expect(normalSquares / n).toBeCloseTo(1, 1);
    expect(poisson / n).toBeCloseTo(2.5, 1);
    expect((picks[2] ?? 0) / n).toBeCloseTo(0.7, 1);
  });
});

describe('rocAuc', () => {
  it('is 1 for a perfect ranking, 0 for an inverted one and 0.5 for ties', () => {
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    // 3 of the 4 positive/negative pairs are ordered correctly.
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(rocAuc([0.1, 0.2], [0, 0])).toBeNaN();
  });
});

describe('calendar', () => {
  it('renews on the same day of month, clamped to short months', () => {
    const start = parseStartDate('2025-01-01');
    const anchor = Date.parse('2025-01-31T00:00:00Z');
    expect(addMonthsDay(start, anchor, 1)).toBe(58); // 2025-02-28
    expect(addMonthsDay(start, anchor, 2)).toBe(89); // 2025-03-31
    expect(() => parseStartDate('2025-02-30')).toThrow(/not a calendar date/);
    expect(() => parseStartDate('01/02/2025')).toThrow(/YYYY-MM-DD/);
  });
});

describe('oracle', () => {
  const world = buildWorld(parseStartDate('2025-01-01'), 120, 0.002, []);

  function customer(phase: Phase, paidUntil: number): Customer {
    const subject = new Customer(0, 'u-000001');
    subject.phase = phase;
    subject.arrivalDay = -200;
    subject.anchorMs = Date.parse('2024-06-15T00:00:00Z');
    subject.cycle = 8;
    subject.paidUntil = paidUntil;
    subject.winbackProbability = 0.1;
    subject.paymentFailProbability = 0.05;
    subject.retrySuccessProbability = 0.4;
    return subject;
  }

  it('gives a cancelled customer whose paid period ends in the window the chance of not coming back', () => {
    // Paid until 2025-02-15, day 45: inside (30, 60].
    const cancelled = customer(
      Phase.Cancelled,
      addMonthsDay(world.startMs, Date.parse('2024-06-15T00:00:00Z'), 8),
    );
    expect(cancelled.paidUntil).toBe(45);
    expect(windowChurnProbability(world, cancelled, 30, 30)).toBeCloseTo(0.9, 10);
    // A window that ends before the paid period does: no churn date inside it.
    expect(windowChurnProbability(world, cancelled, 30, 10)).toBe(0);
  });

  it('ranks disengaging customers above content ones', () => {
    const paidUntil = addMonthsDay(world.startMs, Date.parse('2024-06-15T00:00:00Z'), 8);
    const content = windowChurnProbability(world, customer(Phase.Active, paidUntil), 30, 30);
    const disengaging = windowChurnProbability(world, customer(Phase.AtRisk, paidUntil), 30, 30);
    expect(content).toBeGreaterThan(0);
    expect(disengaging).toBeGreaterThan(content * 5);
    expect(disengaging).toBeLessThan(0.9);
  });
});

describe('calibration', () => {
  it('still finds the published default hazard scale, which tests use to skip it', () => {
    expect(calibrateHazardScale(DEFAULT_MONTHLY_CHURN) / INITIAL_HAZARD_SCALE).toBeCloseTo(1, 1);
    // A higher target needs a higher hazard.
    expect(calibrateHazardScale(0.09)).toBeGreaterThan(INITIAL_HAZARD_SCALE * 1.2);
  });
});

describe('drift scenarios', () => {
  it('parse KIND@DAY and reject anything else with the accepted kinds', () => {
    expect(parseDriftScenario('price-rise@90')).toEqual({ kind: 'price-rise', day: 90 });
    expect(() => parseDriftScenario('price-drop@90')).toThrow(/one of price-rise, quality-drop, promo-wave/);
    expect(() => parseDriftScenario('price-rise')).toThrow(/KIND@DAY/);
  });

  it('raise churn after a price rise compared with the same world without it', () => {
    const options = { customers: 4000, days: 120, seed: 12 };
    const settings = { recording: false } as const;
    const baseline = summarizeSimulation(runSimulationSync(options, {}, settings));
    const drifted = summarizeSimulation(
      runSimulationSync({ ...options, drifts: [parseDriftScenario('price-rise@60')] }, {}, settings),
    );
    const churnBefore = (s: typeof baseline) =>
      (s.churn.by_month[1]?.rate ?? 0) + (s.churn.by_month[0]?.rate ?? 0);
    const churnAfter = (s: typeof baseline) =>
      (s.churn.by_month[2]?.rate ?? 0) + (s.churn.by_month[3]?.rate ?? 0);
    // Same seed, same customers: identical until the rise, more churn after it.
    expect(churnBefore(drifted)).toBe(churnBefore(baseline));
    expect(churnAfter(drifted)).toBeGreaterThan(churnAfter(baseline) * 1.2);
    expect(drifted.drifts).toEqual(['price-rise@60']);
  });
});
