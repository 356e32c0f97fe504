import { EVENT_TYPES, type EventType } from '../schema/event.js';
import { simulateUsage } from './behaviour.js';
import { dayPrefixes, isoAtDay, parseStartDate, weekdayOf } from './calendar.js';
import { type Customer, Phase } from './customer.js';
import { type DayEvents, EventWriter } from './event-writer.js';
import {
  cancelProbability,
  dominantCause,
  HAZARD,
  INTEREST_PERSISTENCE,
  impulsiveProbability,
  onsetLogHazard,
  RECOVERY_PER_DAY,
} from './hazard.js';
import { Lifecycle } from './lifecycle.js';
import { windowChurnProbability } from './oracle.js';
import { createPopulation, STREAM } from './population.js';
import { deriveSeed, Random } from './random.js';
import { buildWorld, type DriftScenario, WORLD_LOOKAHEAD_DAYS, type World } from './world.js';

export const DEFAULT_START = '2025-01-01';
/** Default target: 6.5% of subscribers churn per 30 days. */
export const DEFAULT_MONTHLY_CHURN = 0.065;
export const DEFAULT_HORIZON_DAYS = 30;

export interface SimulationOptions {
  readonly customers: number;
  readonly days: number;
  readonly seed: number;
  /** First simulated day, `YYYY-MM-DD` (UTC). @default '2025-01-01' */
  readonly start?: string;
  /** Target share of subscribers churning per 30 days. @default 0.065 */
  readonly monthlyChurn?: number;
  readonly drifts?: readonly DriftScenario[];
  /** Days (from the start) at which the oracle scores everyone. @default every 30 days while a full window fits */
  readonly cutoffs?: readonly number[];
  /** Label window after each cut-off. @default 30 */
  readonly horizonDays?: number;
}

export interface ResolvedSimulationOptions {
  readonly customers: number;
  readonly days: number;
  readonly seed: number;
  readonly start: string;
  readonly monthlyChurn: number;
  readonly drifts: readonly DriftScenario[];
  readonly cutoffs: readonly number[];
  readonly horizonDays: number;
}

export interface SimulationProgress {
  readonly day: number;
  readonly days: number;
  readonly events: number;
  readonly subscribers: number;
  readonly elapsedSeconds: number;
}

export interface SimulationHooks {
  /** Each day's events in time order; a returned promise is awaited (back-pressure for writers). */
  readonly onDay?: (events: DayEvents) => void | Promise<void>;
  readonly onProgress?: (progress: SimulationProgress) => void;
}

/** The oracle's rows as columns: customer index, cut-off day, true probability, realised label. */
export interface OracleTable {
  readonly length: number;
  readonly customer: Int32Array;
  readonly cutoff: Int32Array;
  readonly probability: Float64Array;
  readonly label: Uint8Array;
}

export interface SimulationResult {
  readonly options: ResolvedSimulationOptions;
  readonly world: World;
  readonly customers: readonly Customer[];
  readonly oracle: OracleTable;
  readonly eventCounts: Readonly<Record<EventType, number>>;
  readonly events: number;
  /** Subscribers at the start of each 30-day month of the period. */
  readonly subscribersAtMonthStart: readonly number[];
  readonly seconds: number;
}

export function defaultCutoffs(days: number, horizon: number): number[] {
  const cutoffs: number[] = [];
  for (let cutoff = 30; cutoff + horizon <= days; cutoff += 30) cutoffs.push(cutoff);
  if (cutoffs.length === 0 && days - horizon >= 1) cutoffs.push(days - horizon);
  return cutoffs;
}

export function resolveOptions(options: SimulationOptions): ResolvedSimulationOptions {
  const { customers, days, seed } = options;
  if (!Number.isInteger(customers) || customers < 1)
    throw new RangeError(`customers must be a positive integer, got ${customers}`);
  if (!Number.isInteger(days) || days < 1)
    throw new RangeError(`days must be a positive integer, got ${days}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`seed must be an integer in [0, 2^32), got ${seed}`);
  }
  const monthlyChurn = options.monthlyChurn ?? DEFAULT_MONTHLY_CHURN;
  if (!(monthlyChurn > 0 && monthlyChurn < 0.5)) {
    throw new RangeError(`monthly churn must be in (0, 0.5), got ${monthlyChurn}`);
  }
  const horizonDays = options.horizonDays ?? DEFAULT_HORIZON_DAYS;
  const cutoffs = [...(options.cutoffs ?? defaultCutoffs(days, horizonDays))].sort((a, b) => a - b);
  for (const cutoff of cutoffs) {
    if (!Number.isInteger(cutoff) || cutoff < 1 || cutoff >= days) {
      throw new RangeError(`cut-off days must be integers in [1, ${days - 1}], got ${cutoff}`);
    }
  }
  const start = options.start ?? DEFAULT_START;
  parseStartDate(start);
  for (const drift of options.drifts ?? []) {
    if (drift.day < 0 || drift.day >= days)
      throw new RangeError(`drift ${drift.kind}@${drift.day} is outside 0..${days - 1}`);
  }
  return { customers, days, seed, start, monthlyChurn, drifts: options.drifts ?? [], cutoffs, horizonDays };
}

const ENGAGEMENT_RECOVERY = 0.12;
const ENGAGEMENT_FLOOR = 0.02;
const INTEREST_INNOVATION = Math.sqrt(1 - INTEREST_PERSISTENCE * INTEREST_PERSISTENCE);
const PROMO_WINDOW_BEFORE = 7;
const PROMO_WINDOW_AFTER = 60;
const POST_FAILURE_DAYS = 45;
const AFTER_FRIEND_CHURN_DAYS = 90;

/**
 * The generative model stepped one day at a time over all customers (friends influence each
 * other within a day, so the loop is day-major). Deterministic for a given seed and options.
 */
class SimulationRun {
  readonly resolved: ResolvedSimulationOptions;
  readonly world: World;
  readonly customers: Customer[];
  private readonly began = performance.now();
  private readonly randoms: Random[];
  private readonly out: EventWriter;
  private readonly lifecycle: Lifecycle;
  private readonly prefixes: string[];
  private readonly cutoffs: Set<number>;
  private readonly priceRises: Set<number>;
  private readonly oracleCustomers: number[] = [];
  private readonly oracleCutoffs: number[] = [];
  private readonly oracleProbabilities: number[] = [];
  private readonly subscribersAtMonthStart: number[] = [];
  subscribers = 0;

  constructor(resolved: ResolvedSimulationOptions, hazardScale: number, recording: boolean) {
    this.resolved = resolved;
    const { days, seed } = resolved;
    const startMs = parseStartDate(resolved.start);
    this.world = buildWorld(startMs, days, hazardScale, resolved.drifts);
    const promoWaves = resolved.drifts
      .filter((drift) => drift.kind === 'promo-wave')
      .map((drift) => drift.day);
    this.priceRises = new Set(
      resolved.drifts.filter((drift) => drift.kind === 'price-rise').map((drift) => drift.day),
    );
    this.customers = createPopulation(resolved, this.world, promoWaves);
    this.randoms = this.customers.map(
      (customer) => new Random(deriveSeed(seed, STREAM.dynamics, customer.index)),
    );
    this.out = new EventWriter(recording);
    const isoDays: string[] = [];
    for (let day = 0; day < days + WORLD_LOOKAHEAD_DAYS; day++) isoDays.push(isoAtDay(startMs, day));
    this.lifecycle = new Lifecycle(this.world, this.out, this.customers, isoDays);
    this.prefixes = dayPrefixes(startMs, days);
    this.cutoffs = new Set(resolved.cutoffs);
  }

  get events(): number {
    return this.out.total;
  }

  get elapsedSeconds(): number {
    return (performance.now() - this.began) / 1000;
  }

  simulateDay(day: number): DayEvents {
    const { world, customers, out, lifecycle } = this;
    if (this.cutoffs.has(day)) this.scoreOracle(day);
    if (day % 30 === 0)
      this.subscribersAtMonthStart.push(customers.filter((customer) => customer.isSubscribed).length);

    out.startDay(day, this.prefixes[day] ?? '');
    const weekday = weekdayOf(world.startMs, day);
    const weekend = weekday === 0 || weekday === 6;
    const priceRiseToday = this.priceRises.has(day);
    let subscribers = 0;

    for (const customer of customers) {
      const random = this.randoms[customer.index];
      if (random === undefined) continue;
      const phase = customer.phase;
      if (phase === Phase.Churned) continue;
      if (phase === Phase.Pending || phase === Phase.Lapsed) {
        if (phase === Phase.Pending && customer.arrivalDay === day) lifecycle.arrive(customer, day);
        else if (phase === Phase.Lapsed && customer.returnDay === day)
          lifecycle.comeBack(customer, day, random);
        else continue;
        countExposure(customer, day);
        simulateUsage(world, out, customers, customer, day, weekend, 1, random);
        subscribers += 1;
        continue;
      }

      subscribers += 1;
      countExposure(customer, day);
      if ((((day - customer.interestWeekday) % 7) + 7) % 7 === 0) {
        customer.interest = INTEREST_PERSISTENCE * customer.interest + INTEREST_INNOVATION * random.normal();
      }

      if (phase === Phase.OnHold) {
        lifecycle.retry(customer, day, random);
        if (customer.phase !== Phase.Active && customer.phase !== Phase.AtRisk) continue;
      } else if (day === customer.paidUntil) {
        if (phase === Phase.Cancelled) {
          lifecycle.end(customer, day, day, customer.endReason || 'not_using', random);
          continue;
        }
        lifecycle.renew(customer, day, random);
        if (customer.phase === Phase.OnHold) continue;
      }

      if (customer.phase === Phase.Active) {
        const hazard = Math.exp(onsetLogHazard(world, customer, day) - HAZARD.interest * customer.interest);
        const onset = 1 - Math.exp(-hazard);
        const roll = random.next();
        if (roll < onset) {
          customer.phase = Phase.AtRisk;
          customer.onsetDay = day;
          customer.endReason = dominantCause(world, customer, day);
        } else if (roll < onset + impulsiveProbability(world, customer)) {
          customer.onsetDay = day;
          lifecycle.cancel(customer, day, dominantCause(world, customer, day), random);
        }
      } else if (customer.phase === Phase.AtRisk) {
        const cancel = cancelProbability(day, customer.paidUntil);
        const roll = random.next();
        if (roll < cancel) lifecycle.cancel(customer, day, customer.endReason || 'not_using', random);
        else if (roll < cancel + RECOVERY_PER_DAY) customer.phase = Phase.Active;
      }

      if (customer.phase === Phase.Active)
        customer.engagement += (1 - customer.engagement) * ENGAGEMENT_RECOVERY;
      else customer.engagement = Math.max(ENGAGEMENT_FLOOR, customer.engagement * customer.engagementDecay);

      if (day === customer.promoEndDay - 7)
        out.notificationSent(customer, 10 * 3600, 'promo_ending', 'email');
      if (priceRiseToday)
        out.notificationSent(customer, 9 * 3600 + random.below(3600), 'price_change', 'email');
      simulateUsage(world, out, customers, customer, day, weekend, 0, random);
    }
    this.subscribers = subscribers;
    return out.finishDay();
  }

  private scoreOracle(day: number): void {
    for (const customer of this.customers) {
      if (customer.arrivalDay >= day || !customer.isSubscribed) continue;
      this.oracleCustomers.push(customer.index);
      this.oracleCutoffs.push(day);
      this.oracleProbabilities.push(
        windowChurnProbability(this.world, customer, day, this.resolved.horizonDays),
      );
    }
  }

  result(): SimulationResult {
    const oracle = buildOracleTable(
      this.customers,
      this.oracleCustomers,
      this.oracleCutoffs,
      this.oracleProbabilities,
      this.resolved.horizonDays,
    );
    const eventCounts = Object.fromEntries(
      EVENT_TYPES.map((type, index) => [type, this.out.counts[index] ?? 0]),
    );
    return {
      options: this.resolved,
      world: this.world,
      customers: this.customers,
      oracle,
      eventCounts: eventCounts as Record<EventType, number>,
      events: this.out.total,
      subscribersAtMonthStart: this.subscribersAtMonthStart,
      seconds: this.elapsedSeconds,
    };
  }
}

function progressOf(run: SimulationRun, day: number): SimulationProgress {
  return {
    day: day + 1,
    days: run.resolved.days,
    events: run.events,
    subscribers: run.subscribers,
    elapsedSeconds: run.elapsedSeconds,
  };
}

/**
 * Runs the simulation; `onDay` receives each day's events (awaited, so a writer can apply
 * back-pressure). Deterministic for a given seed and options.
 */
export async function runSimulation(
  options: SimulationOptions,
  hooks: SimulationHooks = {},
): Promise<SimulationResult> {
  const resolved = resolveOptions(options);
  const run = new SimulationRun(resolved, calibrateHazardScale(resolved.monthlyChurn), true);
  for (let day = 0; day < resolved.days; day++) {
    const events = run.simulateDay(day);
    if (hooks.onDay !== undefined) await hooks.onDay(events);
    hooks.onProgress?.(progressOf(run, day));
  }
  return run.result();
}

/** The same run without awaiting: for tests and in-memory use. */
export function runSimulationSync(
  options: SimulationOptions,
  hooks: {
    readonly onDay?: (events: DayEvents) => void;
    readonly onProgress?: (progress: SimulationProgress) => void;
  } = {},
  settings: { readonly recording?: boolean; readonly hazardScale?: number } = {},
): SimulationResult {
  const resolved = resolveOptions(options);
  const hazardScale = settings.hazardScale ?? calibrateHazardScale(resolved.monthlyChurn);
  const run = new SimulationRun(resolved, hazardScale, settings.recording ?? true);
  for (let day = 0; day < resolved.days; day++) {
    const events = run.simulateDay(day);
    hooks.onDay?.(events);
    hooks.onProgress?.(progressOf(run, day));
  }
  return run.result();
}

function countExposure(customer: Customer, day: number): void {
  customer.exposureDays += 1;
  const sincePromoEnd = day - customer.promoEndDay;
  if (sincePromoEnd >= -PROMO_WINDOW_BEFORE && sincePromoEnd < PROMO_WINDOW_AFTER)
    customer.promoWindowExposureDays += 1;
  if (day - customer.friendChurnDay1 < AFTER_FRIEND_CHURN_DAYS) customer.friendChurnExposureDays += 1;
  const sinceFailure = day - customer.lastHoldStart;
  if (sinceFailure >= 0 && sinceFailure < POST_FAILURE_DAYS) customer.postFailureExposureDays += 1;
}

/** The windows the summary compares churn in (days). */
export const EFFECT_WINDOWS = {
  promoBefore: PROMO_WINDOW_BEFORE,
  promoAfter: PROMO_WINDOW_AFTER,
  afterFailure: POST_FAILURE_DAYS,
  afterFriendChurn: AFTER_FRIEND_CHURN_DAYS,
} as const;

function buildOracleTable(
  customers: readonly Customer[],
  customerIndex: readonly number[],
  cutoffDays: readonly number[],
  probabilities: readonly number[],
  horizon: number,
): OracleTable {
  const length = customerIndex.length;
  const label = new Uint8Array(length);
  for (let row = 0; row < length; row++) {
    const churnDay = customers[customerIndex[row] ?? 0]?.churnDay ?? -1;
    const cutoff = cutoffDays[row] ?? 0;
    label[row] = churnDay > cutoff && churnDay <= cutoff + horizon ? 1 : 0;
  }
  return {
    length,
    customer: Int32Array.from(customerIndex),
    cutoff: Int32Array.from(cutoffDays),
    probability: Float64Array.from(probabilities),
    label,
  };
}

const CALIBRATION = { customers: 6000, days: 150, seed: 0x5eed } as const;
const CALIBRATION_ROUNDS = 3;
const calibrated = new Map<number, number>();

/**
 * The hazard scale that makes the monthly churn rate hit `monthlyChurn` with no drift. Found by
 * a few pilot runs of the same model (without writing events) on a fixed seed, so it does not
 * depend on the caller's seed, and remembered per target.
 */
export function calibrateHazardScale(monthlyChurn: number): number {
  const known = calibrated.get(monthlyChurn);
  if (known !== undefined) return known;
  let scale = INITIAL_HAZARD_SCALE * (monthlyChurn / DEFAULT_MONTHLY_CHURN);
  for (let round = 0; round < CALIBRATION_ROUNDS; round++) {
    const realised = pilotChurn(monthlyChurn, scale);
    // Payment failures churn customers whatever the hazard; only the voluntary part scales.
    const voluntaryTarget = Math.max(monthlyChurn * 0.2, monthlyChurn - realised.involuntary);
    scale *= Math.min(4, Math.max(0.25, voluntaryTarget / Math.max(1e-6, realised.voluntary)));
  }
  calibrated.set(monthlyChurn, scale);
  return scale;
}

/**
 * The hazard scale calibration finds for the default churn rate: a starting point for
 * calibration, and a shortcut for tests that want default churn without the pilot runs.
 */
export const INITIAL_HAZARD_SCALE = 0.002025;

function pilotChurn(monthlyChurn: number, hazardScale: number): { voluntary: number; involuntary: number } {
  const result = runSimulationSync({ ...CALIBRATION, monthlyChurn }, {}, { recording: false, hazardScale });
  let voluntary = 0;
  let involuntary = 0;
  let exposure = 0;
  for (const customer of result.customers) {
    exposure += customer.exposureDays;
    if (customer.churnDay < 0) continue;
    if (customer.churnCause === 'payment_failed') involuntary += 1;
    else voluntary += 1;
  }
  const months = exposure / 30;
  return { voluntary: voluntary / months, involuntary: involuntary / months };
}
