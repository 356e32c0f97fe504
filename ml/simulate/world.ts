import { PREMIERE_EVERY_DAYS, PREMIERE_FIRST_DAY } from './catalog.js';

export const DRIFT_KINDS = ['price-rise', 'quality-drop', 'promo-wave'] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

/** A change in the simulated world from `day` on (day index from the start). */
export interface DriftScenario {
  readonly kind: DriftKind;
  readonly day: number;
}

/** List prices rise by this factor at a price rise. */
export const PRICE_RISE_FACTOR = 1.15;
/** How fast the outrage about a price rise fades (days). */
export const PRICE_RISE_SHOCK_DAYS = 30;
/** Buffering and crash rates are multiplied by this after a quality drop. */
export const QUALITY_DROP_FACTOR = 2.5;
/** A promo wave pulls this share of later arrivals into its 30 days, as partner-promo customers. */
export const PROMO_WAVE_SHARE = 0.4;
export const PROMO_WAVE_DAYS = 30;

/** Parses `price-rise@90`, `quality-drop@120`, `promo-wave@30`. */
export function parseDriftScenario(text: string): DriftScenario {
  const match = /^([a-z-]+)@(\d+)$/.exec(text.trim());
  const kind = DRIFT_KINDS.find((candidate) => candidate === match?.[1]);
  if (match === null || kind === undefined) {
    throw new RangeError(`drift must be KIND@DAY with KIND one of ${DRIFT_KINDS.join(', ')}, got "${text}"`);
  }
  return { kind, day: Number(match[2]) };
}

/**
 * What every customer shares: the calendar, the world's schedule (premieres, drifts) and the
 * hazard scale found by calibration. Day-indexed arrays reach past the end of the period so the
 * oracle can look 30 days ahead from any cut-off.
 */
export interface World {
  readonly startMs: number;
  readonly days: number;
  /** Multiplies every churn-onset hazard; calibrated so the monthly churn rate hits its target. */
  readonly hazardScale: number;
  readonly logHazardScale: number;
  /** List-price factor per day (price rises). */
  readonly priceFactor: Float64Array;
  /** Outrage after a price rise per day: 1 on the day it is announced, then fading. */
  readonly priceRiseShock: Float64Array;
  /** Buffering and crash factor per day (quality drops). */
  readonly qualityFactor: Float64Array;
  /** Day of the latest big premiere on or before each day (very negative before the first). */
  readonly latestPremiere: Int32Array;
  readonly drifts: readonly DriftScenario[];
}

export const WORLD_LOOKAHEAD_DAYS = 75;

export function buildWorld(
  startMs: number,
  days: number,
  hazardScale: number,
  drifts: readonly DriftScenario[],
): World {
  const length = days + WORLD_LOOKAHEAD_DAYS;
  const priceFactor = new Float64Array(length).fill(1);
  const qualityFactor = new Float64Array(length).fill(1);
  const priceRiseShock = new Float64Array(length);
  for (const drift of drifts) {
    if (drift.kind === 'price-rise') {
      for (let day = Math.max(0, drift.day); day < length; day++) {
        priceRiseShock[day] =
          (priceRiseShock[day] ?? 0) + Math.exp(-(day - drift.day) / PRICE_RISE_SHOCK_DAYS);
      }
    }
    for (let day = Math.max(0, drift.day); day < length; day++) {
      if (drift.kind === 'price-rise') priceFactor[day] = (priceFactor[day] ?? 1) * PRICE_RISE_FACTOR;
      if (drift.kind === 'quality-drop') qualityFactor[day] = (qualityFactor[day] ?? 1) * QUALITY_DROP_FACTOR;
    }
  }
  const latestPremiere = new Int32Array(length);
  // A premiere 19 days before the start, so the calendar looks the same at the start as later on.
  let latest = PREMIERE_FIRST_DAY - PREMIERE_EVERY_DAYS;
  for (let day = 0; day < length; day++) {
    if (day >= PREMIERE_FIRST_DAY && (day - PREMIERE_FIRST_DAY) % PREMIERE_EVERY_DAYS === 0) latest = day;
    latestPremiere[day] = latest;
  }
  return {
    startMs,
    days,
    hazardScale,
    logHazardScale: Math.log(hazardScale),
    priceFactor,
    priceRiseShock,
    qualityFactor,
    latestPremiere,
    drifts,
  };
}
