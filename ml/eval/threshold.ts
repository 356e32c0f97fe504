import { checkScoresAndLabels, nextUp, type RankedCounts, rankCounts, ratio } from './inputs.js';

/** A customer is flagged (contacted) when their score is `>= threshold`. */
export interface Confusion {
  readonly tp: number;
  readonly fp: number;
  readonly tn: number;
  readonly fn: number;
  /** 0 when nobody is flagged. */
  readonly precision: number;
  /** 0 when there are no churners. */
  readonly recall: number;
  readonly f1: number;
  readonly accuracy: number;
}

export function confusionAt(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  threshold: number,
): Confusion {
  checkScoresAndLabels('confusionAt', scores, labels);
  if (Number.isNaN(threshold)) throw new RangeError('confusionAt: threshold must be a number, got NaN');
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let index = 0; index < scores.length; index++) {
    const flagged = (scores[index] ?? 0) >= threshold;
    if (labels[index] === 1) {
      if (flagged) tp += 1;
      else fn += 1;
    } else if (flagged) fp += 1;
    else tn += 1;
  }
  return confusionOf(tp, fp, tn, fn);
}

export function confusionOf(tp: number, fp: number, tn: number, fn: number): Confusion {
  return {
    tp,
    fp,
    tn,
    fn,
    precision: ratio(tp, tp + fp),
    recall: ratio(tp, tp + fn),
    f1: ratio(2 * tp, 2 * tp + fp + fn),
    accuracy: ratio(tp + tn, tp + fp + tn + fn),
  };
}

/** The business side of a retention campaign, from configuration. */
export interface BusinessCosts {
  /** What one retention contact costs (offer, agent time), whether or not the customer would churn. */
  readonly contactCost: number;
  /** What keeping a churner is worth (e.g. margin over the expected remaining lifetime). */
  readonly savedCustomerValue: number;
  /** Share of contacted churners the contact actually keeps, in [0, 1]. */
  readonly saveRate: number;
}

/** A threshold and what flagging `score >= threshold` does on the evaluated customers. */
export interface ThresholdChoice {
  readonly threshold: number;
  readonly precision: number;
  readonly recall: number;
  /** How many customers are flagged. */
  readonly contacted: number;
}

export interface ProfitThreshold extends ThresholdChoice {
  /** Total over the evaluated customers: saveRate * savedCustomerValue * TP - contactCost * (TP + FP). */
  readonly expectedProfit: number;
}

export function checkBusinessCosts(costs: BusinessCosts): void {
  const { contactCost, savedCustomerValue, saveRate } = costs;
  if (!(Number.isFinite(contactCost) && contactCost >= 0)) {
    throw new RangeError(`costs.contactCost must be a finite number >= 0, got ${contactCost}`);
  }
  if (!(Number.isFinite(savedCustomerValue) && savedCustomerValue >= 0)) {
    throw new RangeError(`costs.savedCustomerValue must be a finite number >= 0, got ${savedCustomerValue}`);
  }
  if (!(saveRate >= 0 && saveRate <= 1))
    throw new RangeError(`costs.saveRate must be in [0, 1], got ${saveRate}`);
}

/** The choice at ranked entry `index`, or flagging nobody at -1 (a threshold just above every score). */
function choiceAt(ranked: RankedCounts, index: number): ThresholdChoice {
  if (index < 0) {
    return { threshold: nextUp(ranked.thresholds[0] ?? 0), precision: 0, recall: 0, contacted: 0 };
  }
  const tp = ranked.truePositives[index] ?? 0;
  const fp = ranked.falsePositives[index] ?? 0;
  return {
    threshold: ranked.thresholds[index] ?? 0,
    precision: ratio(tp, tp + fp),
    recall: ratio(tp, ranked.positives),
    contacted: tp + fp,
  };
}

/**
 * The threshold with the highest expected profit of a retention campaign on these customers.
 * Contacting nobody (profit 0) is a candidate, so when no contact pays off the threshold lies just
 * above the highest score. Equal profits go to the higher threshold: the same money for fewer
 * contacts.
 */
export function chooseThreshold(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  costs: BusinessCosts,
): ProfitThreshold {
  checkScoresAndLabels('chooseThreshold', scores, labels);
  return chooseThresholdOf(rankCounts(scores, labels), costs);
}

export function chooseThresholdOf(ranked: RankedCounts, costs: BusinessCosts): ProfitThreshold {
  checkBusinessCosts(costs);
  const valuePerChurner = costs.saveRate * costs.savedCustomerValue;
  let best = -1;
  let bestProfit = 0;
  for (let index = 0; index < ranked.thresholds.length; index++) {
    const tp = ranked.truePositives[index] ?? 0;
    const fp = ranked.falsePositives[index] ?? 0;
    const profit = valuePerChurner * tp - costs.contactCost * (tp + fp);
    if (profit > bestProfit) {
      best = index;
      bestProfit = profit;
    }
  }
  return { ...choiceAt(ranked, best), expectedProfit: bestProfit };
}

/** The lowest threshold (most churners found) whose precision is at least `minPrecision`; null if none is. */
export function thresholdForPrecision(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  minPrecision: number,
): ThresholdChoice | null {
  checkScoresAndLabels('thresholdForPrecision', scores, labels);
  if (!(minPrecision >= 0 && minPrecision <= 1)) {
    throw new RangeError(`thresholdForPrecision: minPrecision must be in [0, 1], got ${minPrecision}`);
  }
  const ranked = rankCounts(scores, labels);
  for (let index = ranked.thresholds.length - 1; index >= 0; index--) {
    const choice = choiceAt(ranked, index);
    if (choice.precision >= minPrecision) return choice;
  }
  return null;
}

/**
 * The highest threshold (fewest contacts) whose recall is at least `minRecall`; null without
 * churners, where recall is undefined.
 */
export function thresholdForRecall(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  minRecall: number,
): ThresholdChoice | null {
  const positives = checkScoresAndLabels('thresholdForRecall', scores, labels);
  if (!(minRecall >= 0 && minRecall <= 1)) {
    throw new RangeError(`thresholdForRecall: minRecall must be in [0, 1], got ${minRecall}`);
  }
  if (positives === 0) return null;
  const ranked = rankCounts(scores, labels);
  for (let index = -1; index < ranked.thresholds.length; index++) {
    const choice = choiceAt(ranked, index);
    if (choice.recall >= minRecall) return choice;
  }
  return null;
}

export interface F1Threshold extends ThresholdChoice {
  readonly f1: number;
}

/** The threshold with the best F1, the fallback when no business costs are configured; ties go higher. */
export function thresholdForMaxF1(scores: ArrayLike<number>, labels: ArrayLike<number>): F1Threshold {
  checkScoresAndLabels('thresholdForMaxF1', scores, labels);
  return maxF1ThresholdOf(rankCounts(scores, labels));
}

export function maxF1ThresholdOf(ranked: RankedCounts): F1Threshold {
  let best = -1;
  let bestF1 = 0;
  for (let index = 0; index < ranked.thresholds.length; index++) {
    const tp = ranked.truePositives[index] ?? 0;
    const fp = ranked.falsePositives[index] ?? 0;
    const f1 = ratio(2 * tp, tp + fp + ranked.positives);
    if (f1 > bestF1) {
      best = index;
      bestF1 = f1;
    }
  }
  return { ...choiceAt(ranked, best), f1: bestF1 };
}
