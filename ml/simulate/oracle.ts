import { addMonthsDay } from './calendar.js';
import { type Customer, Phase } from './customer.js';
import {
  cancelProbability,
  HAZARD,
  INTEREST_PERSISTENCE,
  impulsiveProbability,
  onsetLogHazard,
  RECOVERY_PER_DAY,
  RETRY_OFFSETS,
  retrySuccessProbability,
} from './hazard.js';
import type { World } from './world.js';

const LAST_RETRY_OFFSET = Math.max(...RETRY_OFFSETS);

/**
 * The true probability, from the hidden process, that `customer` churns with a churn date in
 * (cutoff, cutoff + horizon], given their hidden state at the start of day `cutoff`.
 *
 * It propagates the probability mass over the hidden phases day by day with exactly the
 * transition probabilities the simulator draws from (Active, AtRisk, Cancelled, and the retry
 * stages of an account on hold), so no sampling noise enters. Two approximations, both small
 * inside a 30-day window: the interest process enters through its conditional expectation, and
 * shocks that have not happened by the cut-off (a friend's churn, a bad support ticket, a failed
 * payment's later effect on mood) are taken as absent.
 */
export function windowChurnProbability(
  world: World,
  customer: Customer,
  cutoff: number,
  horizon: number,
): number {
  const last = cutoff + horizon;
  let active = 0;
  let atRisk = 0;
  let cancelled = 0;
  // Mass on hold waiting for retry k, by the phase it returns to.
  const holdActive = [0, 0, 0];
  const holdAtRisk = [0, 0, 0];
  let holdStart = customer.holdStart;
  let cycle = customer.cycle;
  let paidUntil = customer.paidUntil;
  let churn = 0;
  const keep = 1 - customer.winbackProbability;

  switch (customer.phase) {
    case Phase.Active:
      active = 1;
      break;
    case Phase.AtRisk:
      atRisk = 1;
      break;
    case Phase.Cancelled:
      cancelled = 1;
      break;
    case Phase.OnHold: {
      const stage = Math.min(customer.holdStage, RETRY_OFFSETS.length - 1);
      if (customer.holdPhase === Phase.AtRisk) holdAtRisk[stage] = 1;
      else holdActive[stage] = 1;
      // A retry that succeeds renews the month that failed.
      cycle += 1;
      paidUntil = addMonthsDay(world.startMs, customer.anchorMs, cycle);
      break;
    }
    default:
      return 0;
  }

  const impulsive = impulsiveProbability(world, customer);
  const retryActive = retrySuccessProbability(customer, Phase.Active);
  const retryAtRisk = retrySuccessProbability(customer, Phase.AtRisk);
  const beta = HAZARD.interest;
  let updates = 0;
  const end = last + LAST_RETRY_OFFSET;

  for (let day = cutoff; day <= end; day++) {
    if ((((day - customer.interestWeekday) % 7) + 7) % 7 === 0) updates += 1;

    if (day === paidUntil) {
      if (day > cutoff && day <= last) churn += cancelled * keep;
      cancelled = 0;
      const fail = customer.paymentFailProbability;
      holdActive[0] = active * fail;
      holdAtRisk[0] = atRisk * fail;
      active *= 1 - fail;
      atRisk *= 1 - fail;
      holdStart = day;
      cycle += 1;
      paidUntil = addMonthsDay(world.startMs, customer.anchorMs, cycle);
    }

    for (let stage = 0; stage < RETRY_OFFSETS.length; stage++) {
      if (day !== holdStart + (RETRY_OFFSETS[stage] ?? 0)) continue;
      const waitingActive = holdActive[stage] ?? 0;
      const waitingAtRisk = holdAtRisk[stage] ?? 0;
      active += waitingActive * retryActive;
      atRisk += waitingAtRisk * retryAtRisk;
      const failedActive = waitingActive * (1 - retryActive);
      const failedAtRisk = waitingAtRisk * (1 - retryAtRisk);
      holdActive[stage] = 0;
      holdAtRisk[stage] = 0;
      if (stage + 1 < RETRY_OFFSETS.length) {
        holdActive[stage + 1] = failedActive;
        holdAtRisk[stage + 1] = failedAtRisk;
      } else if (holdStart > cutoff && holdStart <= last) {
        churn += (failedActive + failedAtRisk) * keep;
      }
    }

    if (day > last) continue;
    // E[exp(-beta I)] for I ~ N(phi^k I0, 1 - phi^2k) after k weekly updates.
    const persistence = INTEREST_PERSISTENCE ** updates;
    const interestFactor = Math.exp(
      -beta * persistence * customer.interest + (beta * beta * (1 - persistence * persistence)) / 2,
    );
    const onset = 1 - Math.exp(-Math.exp(onsetLogHazard(world, customer, day)) * interestFactor);
    const cancel = cancelProbability(day, paidUntil);
    const toAtRisk = active * onset;
    const toCancelled = active * impulsive + atRisk * cancel;
    const toActive = atRisk * RECOVERY_PER_DAY;
    active += toActive - toAtRisk - active * impulsive;
    atRisk += toAtRisk - toActive - atRisk * cancel;
    cancelled += toCancelled;
  }
  return churn;
}
