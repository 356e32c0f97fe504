import { beforeAll, describe, expect, it } from 'vitest';
import { type Event, parseEventJson } from '../../../ml/schema/index.js';
import { fitLogistic, predictLogistic, WindowAggregates } from '../../../ml/simulate/baseline.js';
import { ACTIVITY, ACTIVITY_SEGMENTS } from '../../../ml/simulate/catalog.js';
import { rocAuc } from '../../../ml/simulate/roc-auc.js';
import { runSimulationSync, type SimulationResult } from '../../../ml/simulate/simulation.js';
import { type SimulationSummary, summarizeSimulation } from '../../../ml/simulate/summary.js';

const DAY_MS = 86_400_000;
const CUSTOMERS = 8000;
const DAYS = 180;
const START_MS = Date.parse('2025-01-01T00:00:00Z');
const TRAIN_CUTOFF = 60;
const TEST_CUTOFF = 120;

interface Observed {
  lines: number;
  invalid: string[];
  duplicateIds: number;
  outOfPeriod: number;
  outOfOrder: number;
  lastSessionMs: Map<string, number>;
}

let result: SimulationResult;
let summary: SimulationSummary;
let observed: Observed;
let aggregates: WindowAggregates;

beforeAll(() => {
  aggregates = new WindowAggregates([TRAIN_CUTOFF, TEST_CUTOFF].map((day) => START_MS + day * DAY_MS));
  const ids = new Set<string>();
  observed = {
    lines: 0,
    invalid: [],
    duplicateIds: 0,
    outOfPeriod: 0,
    outOfOrder: 0,
    lastSessionMs: new Map(),
  };
  let previousMs = Number.NEGATIVE_INFINITY;
  const see = (event: Event): void => {
    if (ids.has(event.event_id)) observed.duplicateIds += 1;
    ids.add(event.event_id);
    const ms = Date.parse(event.ts);
    if (ms < START_MS || ms >= START_MS + DAYS * DAY_MS) observed.outOfPeriod += 1;
    if (ms < previousMs) observed.outOfOrder += 1;
    previousMs = ms;
    if (event.type === 'session_start') observed.lastSessionMs.set(event.user_id, ms);
    aggregates.add(event);
  };
  result = runSimulationSync(
    { customers: CUSTOMERS, days: DAYS, seed: 2025 },
    {
      onDay: (day) => {
        const text = day.jsonl.toString('utf8');
        let from = 0;
        while (from < text.length) {
          const to = text.indexOf('\n', from);
          const parsed = parseEventJson(text.slice(from, to));
          from = to + 1;
          observed.lines += 1;
          if (parsed.ok) see(parsed.event);
          else if (observed.invalid.length < 5) observed.invalid.push(parsed.reason);
        }
      },
    },
  );
  summary = summarizeSimulation(result);
});

describe('simulated events', () => {
  it('all validate with the Event schema', () => {
    expect(observed.invalid).toEqual([]);
    expect(observed.lines).toBe(result.events);
  });

  it('have unique ids, lie inside the period and come in time order', () => {
    expect(observed.duplicateIds).toBe(0);
    expect(observed.outOfPeriod).toBe(0);
    expect(observed.outOfOrder).toBe(0);
  });

  it('number 100-300 per customer over 180 days, with every type present', () => {
    expect(summary.events.per_customer).toBeGreaterThan(100);
    expect(summary.events.per_customer).toBeLessThan(300);
    for (const [type, count] of Object.entries(summary.events.by_type))
      expect(count, type).toBeGreaterThan(0);
    // Plays outnumber sessions; failed payments are a small share of payments.
    expect(summary.events.by_type.play).toBeGreaterThan(summary.events.by_type.session_start);
    expect(summary.events.by_type.payment_failed).toBeLessThan(
      summary.events.by_type.payment_succeeded * 0.2,
    );
  });

  it('show no session after a churned customer’s churn date (the label rule)', () => {
    let churned = 0;
    for (const customer of result.customers) {
      if (customer.churnDay < 0) continue;
      churned += 1;
      const lastSession = observed.lastSessionMs.get(customer.userId) ?? Number.NEGATIVE_INFINITY;
      expect(lastSession, customer.userId).toBeLessThan(START_MS + customer.churnDay * DAY_MS);
    }
    expect(churned).toBeGreaterThan(1000);
  });
});

describe('summary', () => {
  it('reproduces the configured segment mix among new customers (survivors lean to heavier users)', () => {
    const mix = summary.segment_mix.activity;
    for (const segment of ACTIVITY_SEGMENTS) {
      expect(mix[segment], segment).toBeGreaterThan(ACTIVITY[segment].share * 0.7);
      expect(mix[segment], segment).toBeLessThan(ACTIVITY[segment].share * 1.35);
    }
    expect(summary.segment_mix.taste.premieres_only).toBeCloseTo(0.2, 1);
    expect(summary.segment_mix.usage.tv_only).toBeCloseTo(0.2, 1);
  });

  it('has a monthly churn rate near the default 6.5% and in every month within 5-8.5%', () => {
    expect(summary.churn.monthly_rate).toBeGreaterThan(0.055);
    expect(summary.churn.monthly_rate).toBeLessThan(0.075);
    for (const month of summary.churn.by_month) {
      expect(month.rate, month.from).toBeGreaterThan(0.045);
      expect(month.rate, month.from).toBeLessThan(0.09);
    }
  });

  it('orders churn by activity segment: hubs least, sleepers most', () => {
    const rate = (segment: string): number => summary.churn.by_activity[segment]?.monthly_rate ?? Number.NaN;
    expect(rate('hub')).toBeLessThan(rate('regular'));
    expect(rate('regular')).toBeLessThan(rate('sporadic'));
    expect(rate('sporadic')).toBeLessThan(rate('sleeper'));
  });

  it('shows churn rising around the end of the partner promo', () => {
    const promo = summary.promo_expiry;
    expect(promo.expired_in_period).toBeGreaterThan(200);
    expect(promo.monthly_rate_near_expiry).toBeGreaterThan(promo.monthly_rate_otherwise * 1.4);
    expect(promo.churned_share_expired).toBeGreaterThan(promo.churned_share_not_expired);
  });

  it('shows churn rising after failed payments', () => {
    const payments = summary.payment_failures;
    expect(payments.customers_with_failure).toBeGreaterThan(500);
    expect(payments.monthly_rate_after_failure).toBeGreaterThan(payments.monthly_rate_otherwise * 2);
    expect(payments.churned_share_with_failure).toBeGreaterThan(payments.churned_share_without_failure);
    expect(payments.involuntary_share_of_churn).toBeGreaterThan(0.03);
    expect(payments.involuntary_share_of_churn).toBeLessThan(0.3);
  });

  it('shows churn spreading among friends', () => {
    expect(summary.social.referred_customers).toBeGreaterThan(CUSTOMERS * 0.08);
    expect(summary.social.monthly_rate_after_friend_churn).toBeGreaterThan(
      summary.social.monthly_rate_otherwise * 1.15,
    );
  });

  it('gives churn weeks of warning in the hidden state', () => {
    expect(summary.hidden_lead_days.median_onset_to_churn).toBeGreaterThanOrEqual(21);
  });
});

describe('oracle', () => {
  it('has a ROC-AUC between 0.88 and 0.94 for the 30-day window', () => {
    expect(summary.oracle.auc).toBeGreaterThan(0.88);
    expect(summary.oracle.auc).toBeLessThan(0.94);
    expect(summary.oracle.by_cutoff.map((cutoff) => cutoff.cutoff_day)).toEqual([30, 60, 90, 120, 150]);
  });

  it('is calibrated: its mean probability matches the realised churn share', () => {
    for (const cutoff of summary.oracle.by_cutoff) {
      const realised = cutoff.positives / cutoff.rows;
      expect(cutoff.mean_probability, cutoff.cutoff).toBeGreaterThan(realised * 0.8);
      expect(cutoff.mean_probability, cutoff.cutoff).toBeLessThan(realised * 1.25);
    }
  });
});

describe('a logistic regression on 30-day aggregates', () => {
  function rows(cutoff: number) {
    const features: number[][] = [];
    const labels: number[] = [];
    const oracle: number[] = [];
    const cutoffIndex = cutoff === TRAIN_CUTOFF ? 0 : 1;
    for (let row = 0; row < result.oracle.length; row++) {
      if (result.oracle.cutoff[row] !== cutoff) continue;
      const customer = result.customers[result.oracle.customer[row] ?? -1];
      if (customer === undefined) continue;
      features.push(aggregates.features(customer.userId, cutoffIndex, customer.registeredMs));
      labels.push(result.oracle.label[row] ?? 0);
      oracle.push(result.oracle.probability[row] ?? 0);
    }
    return { features, labels, oracle };
  }

  it('trained on one cut-off beats chance on a later one but stays clearly below the oracle', () => {
    const train = rows(TRAIN_CUTOFF);
    const test = rows(TEST_CUTOFF);
    const model = fitLogistic(train.features, train.labels);
    const baselineAuc = rocAuc(
      test.features.map((features) => predictLogistic(model, features)),
      test.labels,
    );
    const oracleAuc = rocAuc(test.oracle, test.labels);
    expect(baselineAuc).toBeGreaterThan(0.65);
    expect(baselineAuc).toBeLessThan(oracleAuc - 0.03);
  });
});
