import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../../ml/features/day-aggregate.js';
import { type ChurnOutcome, deriveChurnOutcomes } from '../../../ml/labels/churn-outcomes.js';
import { type Event, parseEvent } from '../../../ml/schema/index.js';
import { labelsCsv } from '../../../ml/simulate/output.js';
import { INITIAL_HAZARD_SCALE, runSimulationSync } from '../../../ml/simulate/simulation.js';

interface SimulatedLabels {
  readonly events: Event[];
  readonly rows: Record<string, string>[];
  readonly observedUntil: string;
  /** Customers with a subscription event in the data: the ones events can judge. */
  readonly withBilling: Set<string>;
}

function simulate(customers: number, days: number, seed: number): SimulatedLabels {
  const events: Event[] = [];
  const result = runSimulationSync(
    { customers, days, seed },
    {
      onDay: (day) => {
        for (const line of day.jsonl.toString('latin1').split('\n')) {
          if (line === '') continue;
          const parsed = parseEvent(JSON.parse(line));
          if (!parsed.ok) throw new Error(`simulator wrote an invalid event: ${parsed.reason}`);
          events.push(parsed.event);
        }
      },
    },
    { hazardScale: INITIAL_HAZARD_SCALE },
  );
  const withBilling = new Set(
    events.filter((event) => event.type.startsWith('subscription_')).map((event) => event.user_id),
  );
  return {
    events,
    rows: parse(labelsCsv(result), { columns: true }) as Record<string, string>[],
    observedUntil: addDays(result.options.start, days),
    withBilling,
  };
}

interface Agreement {
  confirmedChurns: number;
  confirmedAgreeing: number;
  nonChurners: number;
  nonChurnersAgreeing: number;
  /** Confirmed churns the events cannot show: cancelled before the first simulated day. */
  unobservable: number;
}

function compare(data: SimulatedLabels, derived: ReadonlyMap<string, ChurnOutcome>): Agreement {
  const agreement: Agreement = {
    confirmedChurns: 0,
    confirmedAgreeing: 0,
    nonChurners: 0,
    nonChurnersAgreeing: 0,
    unobservable: 0,
  };
  for (const row of data.rows) {
    const outcome = derived.get(row.user_id ?? '');
    if (row.churned === 'true' && row.confirmed === 'true') {
      agreement.confirmedChurns += 1;
      if (outcome?.churn_date === row.churn_date && outcome?.confirmed === true)
        agreement.confirmedAgreeing += 1;
      else if (!data.withBilling.has(row.user_id ?? '')) agreement.unobservable += 1;
    } else if (row.churned === 'false') {
      agreement.nonChurners += 1;
      if (!(outcome?.churn_date != null && outcome.confirmed)) agreement.nonChurnersAgreeing += 1;
    }
  }
  return agreement;
}

describe('derived labels agree with the simulator', () => {
  let data: SimulatedLabels;
  let agreement: Agreement;

  beforeAll(() => {
    data = simulate(1500, 180, 11);
    agreement = compare(data, deriveChurnOutcomes(data.events, { observedUntil: data.observedUntil }));
    const settled = agreement.confirmedChurns + agreement.nonChurners;
    const rate = (agreement.confirmedAgreeing + agreement.nonChurnersAgreeing) / settled;
    console.info(
      `label agreement on ${settled} settled customers: ${(100 * rate).toFixed(2)}% ` +
        `(confirmed churns ${agreement.confirmedAgreeing}/${agreement.confirmedChurns}, ` +
        `${agreement.unobservable} of them cancelled before the first simulated day; ` +
        `non-churners ${agreement.nonChurnersAgreeing}/${agreement.nonChurners})`,
    );
  });

  it('finds every confirmed churn the events can show, with the same date', () => {
    expect(agreement.confirmedChurns).toBeGreaterThan(100);
    expect(agreement.confirmedAgreeing + agreement.unobservable).toBe(agreement.confirmedChurns);
    // Left censoring: only customers who cancelled before day 0 are out of reach.
    expect(agreement.unobservable / agreement.confirmedChurns).toBeLessThan(0.15);
  });

  it('never confirms a churn the simulator did not make', () => {
    expect(agreement.nonChurners).toBeGreaterThan(500);
    expect(agreement.nonChurnersAgreeing).toBe(agreement.nonChurners);
  });

  it('agrees on at least 95% of all settled labels', () => {
    const settled = agreement.confirmedChurns + agreement.nonChurners;
    expect((agreement.confirmedAgreeing + agreement.nonChurnersAgreeing) / settled).toBeGreaterThan(0.95);
  });

  it('dates unconfirmed churns of the last 30 days as the simulator does', () => {
    const derived = deriveChurnOutcomes(data.events, { observedUntil: data.observedUntil });
    const recent = data.rows.filter((row) => row.churned === 'true' && row.confirmed === 'false');
    expect(recent.length).toBeGreaterThan(10);
    for (const row of recent) {
      const outcome = derived.get(row.user_id ?? '');
      expect(outcome?.churn_date, row.user_id).toBe(row.churn_date);
      expect(outcome?.confirmed, row.user_id).toBe(false);
    }
  });
});
