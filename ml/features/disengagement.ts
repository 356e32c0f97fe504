import type { DayAggregate } from './day-aggregate.js';
import { LOOKBACK_DAYS } from './history.js';

/**
 * The change-point model behind `disengagement_evidence` and `disengagement_days`.
 *
 * Customers about to leave rarely stop at once: their engagement fades over a week or two (fewer
 * sessions, fewer plays per session, lower completion, fewer notifications opened) and they look
 * at the cancel page. Windowed counts see this poorly, because "2 sessions this week" means
 * opposite things for a daily viewer and a monthly one. The model compares two explanations of
 * the customer's own days instead:
 *
 * - steady: every day follows the customer's baseline (session rate from the days before the last
 *   `recentDays`, plays per session, completion and open rate from the whole lookback);
 * - fading since `a` days ago: from that day on, engagement `e = max(floor, exp(-k / tau))` on
 *   the k-th day scales the session rate by `e`, plays beyond the first of a session and mean
 *   completion by `(1 + e) / 2`, the notification open rate by `0.3 + 0.7 e`, and cancel-page
 *   visits happen on `cancelViewShare.fading` of days instead of `cancelViewShare.steady`.
 *
 * The evidence is the log Bayes factor of "fading since some day" against "steady", averaging
 * over the onsets in `onsetGrid` (a prior that fades by `exitPerDay`, since fading customers
 * soon cancel or recover) and the time constants in `decayDays`. Sessions and extra plays are
 * Poisson, completion per play normal with `completionSd`, opens binomial.
 *
 * The constants are modelling choices that match the simulated service (ml/simulate); on real
 * data they should be re-fitted, though the ranking they give is not very sensitive to them.
 */
export const DISENGAGEMENT_MODEL = {
  /** Fewer registered days than this in the lookback: no baseline, evidence 0. */
  minimumDays: 14,
  /** The baseline session rate comes from days older than this (shrunk towards the whole lookback). */
  recentDays: 14,
  /** Pseudo-days of the whole-lookback rate added to the baseline's older days. */
  baselinePriorDays: 5,
  decayDays: [5, 12],
  floor: 0.02,
  /** Onset ages tried, in days before asOf (1 = yesterday); each weighs the days around it. */
  onsetGrid: [1, 2, 3, 4, 5, 7, 9, 11, 14, 17, 21, 25, 30, 36, 42, 50, 60],
  exitPerDay: 0.03,
  completionSd: 0.17,
  cancelViewShare: { fading: 0.025, steady: 0.0015 },
  /** The evidence is clipped to +-this, so one odd day cannot dominate a model's splits. */
  maxEvidence: 50,
} as const;

export interface Disengagement {
  /** Log Bayes factor of fading against steady; 0 without enough history. */
  readonly evidence: number;
  /** Posterior mean of the onset, in days before asOf; 0 without enough history. */
  readonly days: number;
}

const M = DISENGAGEMENT_MODEL;
const GRID = M.onsetGrid;
const LONGEST_ONSET = GRID[GRID.length - 1] ?? 0;

/** Log prior weight of each onset: the width of the days it stands for, times the chance of still fading. */
const LOG_PRIOR = GRID.map((age, index) => {
  const previous = GRID[index - 1];
  const next = GRID[index + 1];
  const from = previous === undefined ? age - 0.5 : (age + previous) / 2;
  const to = next === undefined ? age + (age - from) : (age + next) / 2;
  return Math.log(to - from) - M.exitPerDay * age;
});

/** Per time constant and day k after the onset (index k, 1..LONGEST_ONSET): engagement terms. */
interface DecayTable {
  readonly logEngagement: Float64Array;
  readonly playFactor: Float64Array;
  readonly logPlayFactor: Float64Array;
  readonly openFactor: Float64Array;
  readonly logOpenFactor: Float64Array;
  /** Sum over k = 1..index of (engagement - 1): the expected sessions lost, per baseline session per day. */
  readonly lostSessions: Float64Array;
}

const DECAY_TABLES: readonly DecayTable[] = M.decayDays.map((tau) => {
  const size = LONGEST_ONSET + 1;
  const table: DecayTable = {
    logEngagement: new Float64Array(size),
    playFactor: new Float64Array(size),
    logPlayFactor: new Float64Array(size),
    openFactor: new Float64Array(size),
    logOpenFactor: new Float64Array(size),
    lostSessions: new Float64Array(size),
  };
  for (let k = 1; k < size; k++) {
    const engagement = Math.max(M.floor, Math.exp(-k / tau));
    table.logEngagement[k] = Math.log(engagement);
    table.playFactor[k] = 0.5 + 0.5 * engagement;
    table.logPlayFactor[k] = Math.log(0.5 + 0.5 * engagement);
    table.openFactor[k] = 0.3 + 0.7 * engagement;
    table.logOpenFactor[k] = Math.log(0.3 + 0.7 * engagement);
    table.lostSessions[k] = (table.lostSessions[k - 1] ?? 0) + engagement - 1;
  }
  return table;
});

const LOG_CANCEL_VIEW_DAY = Math.log(M.cancelViewShare.fading / M.cancelViewShare.steady);
const LOG_QUIET_DAY = Math.log((1 - M.cancelViewShare.fading) / (1 - M.cancelViewShare.steady));

/**
 * Collects the days a computation needs, by age, then scores them. Integer counters summed in age
 * order make the score independent of the order the history lists its days. One instance is
 * reused by `computeFeatures` (synchronous, so never shared between two calls at once).
 */
export class DisengagementInput {
  private readonly sessions = new Int32Array(LOOKBACK_DAYS + 1);
  private readonly plays = new Int32Array(LOOKBACK_DAYS + 1);
  private readonly completion = new Int32Array(LOOKBACK_DAYS + 1);
  private readonly sent = new Int32Array(LOOKBACK_DAYS + 1);
  private readonly opened = new Int32Array(LOOKBACK_DAYS + 1);
  private readonly viewed = new Uint8Array(LOOKBACK_DAYS + 1);
  private readonly used = new Uint8Array(LOOKBACK_DAYS + 1);
  // Per onset: the log-likelihood ratio of the days seen so far; per day k: its coefficients.
  private readonly ratio = new Float64Array(GRID.length);
  private readonly perSession = new Float64Array(LONGEST_ONSET + 1);
  private readonly perPlay = new Float64Array(LONGEST_ONSET + 1);
  private readonly perCompletion = new Float64Array(LONGEST_ONSET + 1);
  private readonly perOpen = new Float64Array(LONGEST_ONSET + 1);
  private readonly perSent = new Float64Array(LONGEST_ONSET + 1);
  private readonly logs = new Float64Array(GRID.length * DECAY_TABLES.length);

  /** Forgets every day; call before each customer. */
  reset(): void {
    for (let age = 1; age <= LOOKBACK_DAYS; age++) {
      if (this.used[age] === 0) continue;
      this.used[age] = 0;
      this.sessions[age] = 0;
      this.plays[age] = 0;
      this.completion[age] = 0;
      this.sent[age] = 0;
      this.opened[age] = 0;
      this.viewed[age] = 0;
    }
  }

  /** Adds a day of the lookback (age 1 = the day before asOf; each age at most once). */
  add(age: number, day: DayAggregate): void {
    const sessions = day.sessions;
    const plays = day.plays;
    const sent = day.notifications_sent;
    if (sessions === 0 && plays === 0 && sent === 0 && day.cancel_page_views === 0) return;
    this.used[age] = 1;
    this.sessions[age] = sessions;
    this.plays[age] = plays;
    this.completion[age] = day.completion_permille;
    this.sent[age] = sent;
    this.opened[age] = day.notifications_opened;
    this.viewed[age] = day.cancel_page_views > 0 ? 1 : 0;
  }

  /** Scores the days added, for a customer registered `tenure` days before asOf. */
  score(tenure: number): Disengagement {
    const span = Math.min(LOOKBACK_DAYS, tenure);
    if (span < M.minimumDays) return { evidence: 0, days: 0 };
    let sessions = 0;
    let olderSessions = 0;
    let plays = 0;
    let completion = 0;
    let sent = 0;
    let opened = 0;
    for (let age = 1; age <= span; age++) {
      if (this.used[age] === 0) continue;
      const daySessions = this.sessions[age] ?? 0;
      sessions += daySessions;
      if (age > M.recentDays) olderSessions += daySessions;
      plays += this.plays[age] ?? 0;
      completion += this.completion[age] ?? 0;
      sent += this.sent[age] ?? 0;
      opened += this.opened[age] ?? 0;
    }
    const baselineRate =
      (olderSessions + (sessions / span) * M.baselinePriorDays) / (span - M.recentDays + M.baselinePriorDays);
    const extraPlays = sessions > 0 ? Math.max(0.05, (plays - sessions) / sessions) : 0.5;
    const meanCompletion = plays > 0 ? completion / 1000 / plays : 0.7;
    const variance = M.completionSd * M.completionSd;
    const openRate = Math.min(0.95, (opened + 0.5) / (sent + 3));
    const logNotOpened = Math.log(1 - openRate);
    let onsets = 0;
    while (onsets < GRID.length && (GRID[onsets] ?? 0) <= span) onsets++;

    // log of sum over (tau, onset) of prior x likelihood ratio, and the onset's posterior mean.
    let best = Number.NEGATIVE_INFINITY;
    let count = 0;
    for (const table of DECAY_TABLES) {
      const last = Math.min(LONGEST_ONSET, span);
      for (let k = 1; k <= last; k++) {
        const playFactor = table.playFactor[k] ?? 1;
        const logPlayFactor = table.logPlayFactor[k] ?? 0;
        // Without notifications their terms are 0 anyway; skip the logarithm.
        const notOpened = sent === 0 ? 0 : Math.log(1 - openRate * (table.openFactor[k] ?? 1)) - logNotOpened;
        this.perSession[k] = (table.logEngagement[k] ?? 0) - logPlayFactor - extraPlays * (playFactor - 1);
        this.perPlay[k] =
          logPlayFactor - (meanCompletion * meanCompletion * (playFactor * playFactor - 1)) / (2 * variance);
        this.perCompletion[k] = (meanCompletion * (playFactor - 1)) / variance / 1000;
        this.perOpen[k] = (table.logOpenFactor[k] ?? 0) - notOpened;
        this.perSent[k] = notOpened;
      }
      for (let index = 0; index < onsets; index++) {
        const onset = GRID[index] ?? 0;
        this.ratio[index] = -baselineRate * (table.lostSessions[onset] ?? 0) + onset * LOG_QUIET_DAY;
      }
      for (let age = 1; age <= span && age <= LONGEST_ONSET; age++) {
        if (this.used[age] === 0) continue;
        const daySessions = this.sessions[age] ?? 0;
        const dayPlays = this.plays[age] ?? 0;
        const dayCompletion = this.completion[age] ?? 0;
        const dayOpened = this.opened[age] ?? 0;
        const daySent = this.sent[age] ?? 0;
        const view = this.viewed[age] === 1 ? LOG_CANCEL_VIEW_DAY - LOG_QUIET_DAY : 0;
        for (let index = onsets - 1; index >= 0; index--) {
          const onset = GRID[index] ?? 0;
          if (onset < age) break;
          const k = onset - age + 1;
          this.ratio[index] =
            (this.ratio[index] ?? 0) +
            daySessions * (this.perSession[k] ?? 0) +
            dayPlays * (this.perPlay[k] ?? 0) +
            dayCompletion * (this.perCompletion[k] ?? 0) +
            dayOpened * (this.perOpen[k] ?? 0) +
            daySent * (this.perSent[k] ?? 0) +
            view;
        }
      }
      for (let index = 0; index < onsets; index++) {
        const log = (this.ratio[index] ?? 0) + (LOG_PRIOR[index] ?? 0);
        this.logs[count++] = log;
        if (log > best) best = log;
      }
    }
    let priorSum = 0;
    for (let index = 0; index < onsets; index++) priorSum += Math.exp(LOG_PRIOR[index] ?? 0);
    let posterior = 0;
    let onsetSum = 0;
    for (let position = 0; position < count; position++) {
      const weight = Math.exp((this.logs[position] ?? 0) - best);
      posterior += weight;
      onsetSum += weight * (GRID[position % onsets] ?? 0);
    }
    const evidence = best + Math.log(posterior / M.decayDays.length) - Math.log(priorSum);
    return {
      evidence: Math.max(-M.maxEvidence, Math.min(M.maxEvidence, evidence)),
      days: onsetSum / posterior,
    };
  }
}
