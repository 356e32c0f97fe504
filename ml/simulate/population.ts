import { addMonthsDay, DAY_MS } from './calendar.js';
import {
  ACTIVITY,
  ACTIVITY_SEGMENTS,
  CHANNELS,
  COUNTRIES,
  DEVICES,
  GENRES,
  PARTNER_PROMO_CHANNEL,
  PLANS,
  PROMO_MONTHS,
  REFERRAL_CHANNEL,
  TASTE,
  TASTE_SEGMENTS,
  USAGE,
  USAGE_PATTERNS,
} from './catalog.js';
import { Customer, Phase } from './customer.js';
import { CANCEL_PER_DAY, FRAILTY_SIGMA, HAZARD, onsetLogHazard, RECOVERY_PER_DAY } from './hazard.js';
import { cumulative, deriveSeed, Random } from './random.js';
import { PROMO_WAVE_DAYS, PROMO_WAVE_SHARE, type World } from './world.js';

export const STREAM = { population: 1, traits: 2, dynamics: 3 } as const;

const GROUP_SIZES = cumulative([0.45, 0.25, 0.15, 0.09, 0.04, 0.02]);
/** Share of a group's later members who were brought in by an earlier member. */
const REFERRAL_SHARE = 0.35;
/** Mean days between a group's first member and each friend who follows. */
const FRIEND_LAG_DAYS = 25;
const CUSTOMERS_PER_MANAGER = 2500;

const ACTIVITY_WEIGHTS = cumulative(ACTIVITY_SEGMENTS.map((segment) => ACTIVITY[segment].share));
const TASTE_WEIGHTS = cumulative(TASTE_SEGMENTS.map((segment) => TASTE[segment].share));
const USAGE_WEIGHTS = cumulative(USAGE_PATTERNS.map((pattern) => USAGE[pattern].share));
const CHANNEL_WEIGHTS = cumulative(CHANNELS.map((channel) => channel.share));
const COUNTRY_WEIGHTS = cumulative(COUNTRIES.map((country) => country.share));
const DEVICE_WEIGHTS = cumulative(DEVICES.map((device) => device.share));
const GENRE_WEIGHTS = cumulative(GENRES.map((genre) => genre.share));
const PLAN_WEIGHTS = cumulative(PLANS.map((plan) => plan.share));
// TV households lean to the bigger plans; the partner offer is for basic and standard only.
const TV_PLAN_WEIGHTS = cumulative([0.1, 0.15, 0.45, 0.3]);
const PROMO_PLAN_WEIGHTS = cumulative([0, 0.3, 0.7, 0]);

const PARTNER_PROMO = CHANNELS.findIndex((channel) => channel.name === PARTNER_PROMO_CHANNEL);
const REFERRAL = CHANNELS.findIndex((channel) => channel.name === REFERRAL_CHANNEL);
const APP_STORE = CHANNELS.findIndex((channel) => channel.name === 'app_store');
const TV_ONLY = USAGE_PATTERNS.indexOf('tv_only');
const MIXED = USAGE_PATTERNS.indexOf('mixed');
const SLEEPER = ACTIVITY_SEGMENTS.indexOf('sleeper');
const HUB = ACTIVITY_SEGMENTS.indexOf('hub');
const DEVICE_INDEX = new Map(DEVICES.map((device, index) => [device.name, index]));

function deviceIndex(name: string): number {
  const index = DEVICE_INDEX.get(name);
  if (index === undefined) throw new Error(`unknown device ${name}`);
  return index;
}

export interface PopulationOptions {
  readonly customers: number;
  readonly days: number;
  readonly seed: number;
  /** Target monthly churn: sets how many customers arrive during the period to replace leavers. */
  readonly monthlyChurn: number;
}

/** Share of customers already subscribed at the start, so arrivals roughly balance churn. */
export function initialShare(monthlyChurn: number, days: number): number {
  const expectedLeavers = 1 - (1 - monthlyChurn) ** (days / 30);
  return 1 / (1 + expectedLeavers);
}

export function userIdOf(index: number, customers: number): string {
  const width = Math.max(6, String(customers).length);
  return `u-${String(index + 1).padStart(width, '0')}`;
}

/** Arrival days for one friend group: members join one after the other, sorted. */
function groupArrivals(random: Random, size: number, options: PopulationOptions, share: number): number[] {
  const { days } = options;
  let first: number;
  if (random.chance(share)) {
    // Tenures of current customers: a fresh cohort (some still on promo) and a long tail.
    first = random.chance(0.3)
      ? -1 - random.below(90)
      : -91 - Math.min(2400, Math.floor(random.exponential(420)));
  } else {
    first = 1 + random.below(Math.max(1, days - 1));
  }
  const arrivals = [first];
  for (let member = 1; member < size; member++) {
    let day = first + 1 + Math.floor(random.exponential(FRIEND_LAG_DAYS));
    if (day >= days) day = first + 1 + random.below(Math.max(1, days - 1 - first));
    arrivals.push(Math.min(day, days - 1));
  }
  return arrivals.sort((a, b) => a - b);
}

/**
 * Creates the customers with their traits and social groups. Friends sit next to each other
 * (a group is a contiguous index range), share country and taste more often than chance, and
 * later members were often referred by earlier ones.
 */
export function createPopulation(
  options: PopulationOptions,
  world: World,
  promoWaveDays: readonly number[],
): Customer[] {
  const random = new Random(deriveSeed(options.seed, STREAM.population));
  const share = initialShare(options.monthlyChurn, options.days);
  const customers: Customer[] = [];
  while (customers.length < options.customers) {
    const size = Math.min(random.weighted(GROUP_SIZES) + 1, options.customers - customers.length);
    const groupStart = customers.length;
    const groupCountry = random.weighted(COUNTRY_WEIGHTS);
    const groupGenre = random.weighted(GENRE_WEIGHTS);
    const arrivals = groupArrivals(random, size, options, share);
    for (let member = 0; member < size; member++) {
      const index = groupStart + member;
      const customer = new Customer(index, userIdOf(index, options.customers));
      customer.groupStart = groupStart;
      customer.groupSize = size;
      customer.arrivalDay = arrivals[member] ?? 0;
      customer.groupGenre = groupGenre;
      if (member > 0 && random.chance(REFERRAL_SHARE)) customer.referrer = groupStart + random.below(member);
      customer.country = random.chance(0.85) ? groupCountry : random.weighted(COUNTRY_WEIGHTS);
      customers.push(customer);
    }
  }
  for (const customer of customers) drawTraits(customer, options, world, promoWaveDays);
  return customers;
}

function drawTraits(
  customer: Customer,
  options: PopulationOptions,
  world: World,
  promoWaveDays: readonly number[],
) {
  const random = new Random(deriveSeed(options.seed, STREAM.traits, customer.index));
  drawSurvivorTraits(customer, options.monthlyChurn, random);
  customer.usage = random.weighted(USAGE_WEIGHTS);

  for (const waveDay of promoWaveDays) {
    // A partner campaign pulls later sign-ups forward into its month.
    if (customer.arrivalDay > waveDay && customer.referrer < 0 && random.chance(PROMO_WAVE_SHARE)) {
      customer.arrivalDay = Math.min(options.days - 1, waveDay + random.below(PROMO_WAVE_DAYS));
      customer.channel = PARTNER_PROMO;
    }
  }
  if (customer.channel !== PARTNER_PROMO) {
    customer.channel = customer.referrer >= 0 ? REFERRAL : random.weighted(CHANNEL_WEIGHTS);
  }
  const channel = CHANNELS[customer.channel] ?? CHANNELS[0];
  const country = COUNTRIES[customer.country] ?? COUNTRIES[0];
  if (channel === undefined || country === undefined) throw new Error('empty catalogue');

  if (customer.usage === TV_ONLY) {
    customer.device = deviceIndex(random.chance(0.7) ? 'smart_tv' : 'streaming_stick');
  } else {
    customer.device = random.weighted(DEVICE_WEIGHTS);
  }
  if (customer.usage === MIXED) {
    customer.secondDevice = deviceIndex(random.chance(0.5) ? 'mobile_android' : 'mobile_ios');
  }
  const device = DEVICES[customer.device] ?? DEVICES[0];
  if (device === undefined) throw new Error('empty catalogue');

  if (customer.channel === PARTNER_PROMO) customer.plan = random.weighted(PROMO_PLAN_WEIGHTS);
  else customer.plan = random.weighted(customer.usage === TV_ONLY ? TV_PLAN_WEIGHTS : PLAN_WEIGHTS);
  const plan = PLANS[customer.plan] ?? PLANS[0];
  if (plan === undefined) throw new Error('empty catalogue');
  customer.listPrice = Math.max(0.99, Math.round(plan.price * country.priceLevel) - 0.01);
  const managers = Math.max(1, Math.ceil((options.customers * country.share) / CUSTOMERS_PER_MANAGER));
  customer.managerId = `mgr-${country.code.toLowerCase()}-${String(1 + (customer.index % managers)).padStart(2, '0')}`;

  const activity = ACTIVITY[ACTIVITY_SEGMENTS[customer.activity] ?? 'regular'];
  customer.baseSessionsPerDay = random.logNormal(activity.sessionsPerDay, activity.spread);
  customer.lapseStartDay = customer.arrivalDay < 0 ? -random.below(60) : customer.arrivalDay;
  const taste = TASTE[TASTE_SEGMENTS[customer.taste] ?? 'explorer'];
  customer.staticLogHazard = activity.hazard + taste.hazard + channel.hazard + customer.logFrailty;
  customer.priceSensitivity = channel.priceSensitivity * country.priceSensitivity * random.logNormal(1, 0.35);

  const tier = random.next();
  const cardRisk = tier < 0.7 ? 0.015 : tier < 0.92 ? 0.07 : 0.25;
  const storeBilling = customer.channel === APP_STORE ? 0.5 : 1;
  customer.paymentFailProbability = Math.min(0.6, cardRisk * country.paymentRisk * storeBilling);
  customer.retrySuccessProbability = Math.min(0.9, random.logNormal(0.45, 0.3));
  customer.notificationOpenProbability = random.uniform(0.05, 0.45);
  customer.patience = random.normal();
  const loyalty = customer.activity === HUB ? 1.5 : customer.activity === SLEEPER ? 0.5 : 1;
  customer.winbackProbability = 0.1 * loyalty * (customer.channel === PARTNER_PROMO ? 0.6 : 1);
  customer.engagementDecay = Math.exp(-1 / random.uniform(4, 14));
  customer.favouriteGenre = random.chance(0.6) ? customer.groupGenre : random.weighted(GENRE_WEIGHTS);
  customer.bufferingRate =
    0.03 * device.buffering * (1 + 5 * (1 - country.networkQuality)) * random.logNormal(1, 0.3);
  customer.crashRate = device.crashRate * random.logNormal(1, 0.3);
  customer.frustration = 0.5 * (customer.bufferingRate / 0.05) + 0.5 * (customer.crashRate / 0.009);
  customer.interestWeekday = random.below(7);
  customer.interest = random.normal();

  const secondOfDay = 6 * 3600 + random.below(17 * 3600);
  customer.registeredMs = world.startMs + customer.arrivalDay * DAY_MS + secondOfDay * 1000;
  customer.anchorMs = world.startMs + customer.arrivalDay * DAY_MS;
  if (customer.channel === PARTNER_PROMO) {
    customer.promoEndDay = addMonthsDay(world.startMs, customer.anchorMs, PROMO_MONTHS);
  }
  if (customer.arrivalDay < 0) startAsExistingCustomer(customer, world, random);
}

/** Mean of exp(segment hazards + frailty) over new customers, to turn churn into a hazard unit. */
const MEAN_RELATIVE_HAZARD = 2.05;

/**
 * Activity, taste and the unobserved frailty. Customers who have already stayed a long time are
 * survivors, so these are drawn conditional on having survived their tenure (by rejection);
 * otherwise the period would open with a base as fragile as new sign-ups, and churn would fall
 * month after month as the fragile ones left.
 */
function drawSurvivorTraits(customer: Customer, monthlyChurn: number, random: Random): void {
  const monthsSurvived = Math.min(Math.max(0, -customer.arrivalDay), 540) / 30;
  for (let attempt = 0; attempt < 40; attempt++) {
    customer.activity = random.weighted(ACTIVITY_WEIGHTS);
    customer.taste = random.weighted(TASTE_WEIGHTS);
    customer.logFrailty = FRAILTY_SIGMA * random.normal();
    const activity = ACTIVITY[ACTIVITY_SEGMENTS[customer.activity] ?? 'regular'];
    const taste = TASTE[TASTE_SEGMENTS[customer.taste] ?? 'explorer'];
    const relativeHazard =
      Math.exp(activity.hazard + taste.hazard + customer.logFrailty) / MEAN_RELATIVE_HAZARD;
    if (monthsSurvived === 0 || random.chance(Math.exp(-monthlyChurn * relativeHazard * monthsSurvived)))
      return;
  }
}

/**
 * A customer from before the period starts where the hidden process would plausibly have left
 * them: most content, some already disengaging, a few cancelled and serving out their month.
 */
function startAsExistingCustomer(customer: Customer, world: World, random: Random) {
  let cycle = 1;
  while (addMonthsDay(world.startMs, customer.anchorMs, cycle) < 0) cycle += 1;
  customer.cycle = cycle;
  customer.paidUntil = addMonthsDay(world.startMs, customer.anchorMs, cycle);
  const cycleStart = addMonthsDay(world.startMs, customer.anchorMs, cycle - 1);
  const daysIntoCycle = Math.max(0, -cycleStart);

  const onset = Math.exp(onsetLogHazard(world, customer, 0) - HAZARD.interest * customer.interest);
  const leaveRate = onset * (CANCEL_PER_DAY / (CANCEL_PER_DAY + RECOVERY_PER_DAY));
  const atRiskShare = onset / (onset + CANCEL_PER_DAY + RECOVERY_PER_DAY);
  if (random.chance(1 - Math.exp(-leaveRate * daysIntoCycle))) {
    customer.phase = Phase.Cancelled;
    customer.cancelledDay = -1 - random.below(Math.max(1, daysIntoCycle));
    customer.onsetDay = customer.cancelledDay - 1 - Math.floor(random.exponential(20));
  } else if (random.chance(atRiskShare)) {
    customer.phase = Phase.AtRisk;
    customer.onsetDay = -1 - Math.floor(random.exponential(1 / (CANCEL_PER_DAY + RECOVERY_PER_DAY)));
  } else {
    customer.phase = Phase.Active;
  }
  if (customer.phase !== Phase.Active) customer.engagement = customer.engagementDecay ** -customer.onsetDay;
}
