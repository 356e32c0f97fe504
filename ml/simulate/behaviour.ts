import {
  ACTIVITY_SEGMENTS,
  DEVICES,
  GENRES,
  NOTIFICATION_CAMPAIGNS,
  PREMIERE_EVERY_DAYS,
  PREMIERE_FRESH_DAYS,
  SEARCH_TERMS,
  SLEEPER_DECAY_DAYS,
  SLEEPER_FLOOR,
  TASTE,
  TASTE_SEGMENTS,
  TICKET_TOPICS,
  TITLES_PER_GENRE,
  USAGE,
  USAGE_PATTERNS,
} from './catalog.js';
import { type Customer, Phase } from './customer.js';
import type { EventWriter } from './event-writer.js';
import { cumulative, deriveSeed, type Random } from './random.js';
import type { World } from './world.js';

const SLEEPER = ACTIVITY_SEGMENTS.indexOf('sleeper');
const GENRE_FAN = TASTE_SEGMENTS.indexOf('genre_fan');
const PREMIERES_ONLY = TASTE_SEGMENTS.indexOf('premieres_only');
const GENRE_WEIGHTS = cumulative(GENRES.map((genre) => genre.share));
const HOUR_WEIGHTS = USAGE_PATTERNS.map((pattern) => cumulative(USAGE[pattern].hours));
const USAGE_PROFILES = USAGE_PATTERNS.map((pattern) => USAGE[pattern]);
const TASTE_PROFILES = TASTE_SEGMENTS.map((segment) => TASTE[segment]);
const GENRE_NAMES = GENRES.map((genre) => genre.name);
const LOG_TITLES = Math.log(TITLES_PER_GENRE);
// exp(0.35 I) has mean exp(0.35^2 / 2) for standard normal I; dividing keeps the average rate.
const INTEREST_USAGE = 0.35;
const INTEREST_MEAN_CORRECTION = Math.exp(-(INTEREST_USAGE * INTEREST_USAGE) / 2);
const NOTIFICATIONS_PER_DAY = 0.16;
/** Opening a notification brings this many extra sessions (times engagement) that day. */
const NOTIFICATION_PULL = 0.35;
const CO_WATCH_SHARE = 0.25;
const SHARE_PER_SESSION = 0.03;
const TICKETS_PER_DAY = 0.0012;
const TICKET_AFTER_CRASH = 0.1;
const REVIEWS_PER_DAY = 0.0004;

function premiereNumber(day: number): number {
  return Math.floor((day + PREMIERE_EVERY_DAYS) / PREMIERE_EVERY_DAYS);
}

/** The friend group's current series: friends co-watch the same title for a fortnight. */
function groupSeries(customer: Customer, day: number): number {
  return 1 + (deriveSeed(customer.groupStart, Math.floor(day / 14)) % TITLES_PER_GENRE);
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** Expected sessions today, before notifications pull in more. */
export function sessionRate(world: World, customer: Customer, day: number, weekend: boolean): number {
  const usage = USAGE_PROFILES[customer.usage];
  let rate =
    customer.baseSessionsPerDay *
    customer.engagement *
    Math.exp(INTEREST_USAGE * customer.interest) *
    INTEREST_MEAN_CORRECTION;
  if (weekend && usage !== undefined) rate *= usage.weekend;
  if (customer.activity === SLEEPER) {
    rate *=
      SLEEPER_FLOOR + (1 - SLEEPER_FLOOR) * Math.exp(-(day - customer.lapseStartDay) / SLEEPER_DECAY_DAYS);
  }
  if (customer.taste === PREMIERES_ONLY) {
    rate *= day - (world.latestPremiere[day] ?? 0) <= PREMIERE_FRESH_DAYS ? 2.2 : 0.35;
  }
  if (customer.phase === Phase.Cancelled) rate *= 0.6;
  return rate;
}

/**
 * Everything a subscribed customer does on one day apart from billing: notifications, sessions
 * with searches and plays, buffering and crashes, sharing, cancel-page visits, support tickets
 * and store reviews. A crash today sours the mood for tickets and reviews.
 */
export function simulateUsage(
  world: World,
  out: EventWriter,
  customers: readonly Customer[],
  customer: Customer,
  day: number,
  weekend: boolean,
  minimumSessions: number,
  random: Random,
): void {
  const qualityFactor = world.qualityFactor[day] ?? 1;
  const engagement = customer.engagement;
  let rate = sessionRate(world, customer, day, weekend);

  const notifications = random.poisson(NOTIFICATIONS_PER_DAY);
  for (let n = 0; n < notifications; n++) {
    const campaign = customer.phase === Phase.Cancelled ? 'win_back' : random.pick(NOTIFICATION_CAMPAIGNS);
    const sentAt = 9 * 3600 + random.below(11 * 3600);
    out.notificationSent(customer, sentAt, campaign, random.chance(0.7) ? 'push' : 'email');
    if (random.chance(customer.notificationOpenProbability * (0.3 + 0.7 * engagement))) {
      out.notificationOpened(customer, sentAt + 60 + random.below(3 * 3600), campaign);
      rate += NOTIFICATION_PULL * engagement;
    }
  }

  const sessions = Math.max(minimumSessions, random.poisson(rate));
  let crashed = false;
  for (let s = 0; s < sessions; s++) {
    if (simulateSession(world, out, customers, customer, day, engagement, qualityFactor, random))
      crashed = true;
  }

  const toRenewal = customer.paidUntil - day;
  if (customer.phase === Phase.AtRisk) {
    if (random.chance(0.025 + (toRenewal <= 5 ? 0.1 : 0)))
      out.cancelPageView(customer, randomDaytime(random));
  } else if (customer.phase === Phase.Active && random.chance(0.0015)) {
    out.cancelPageView(customer, randomDaytime(random));
  }

  if (random.chance(TICKETS_PER_DAY + (crashed ? TICKET_AFTER_CRASH : 0))) {
    supportTicket(out, customer, day, crashed ? 'playback' : random.pick(TICKET_TOPICS), random);
  }

  const unhappy =
    crashed ||
    customer.phase === Phase.AtRisk ||
    customer.phase === Phase.Cancelled ||
    day - customer.lastBadTicketDay < 14;
  if (random.chance(REVIEWS_PER_DAY * (unhappy ? 3 : 1))) {
    const roll = random.next();
    const rating = unhappy
      ? roll < 0.45
        ? 1
        : roll < 0.75
          ? 2
          : roll < 0.9
            ? 3
            : roll < 0.97
              ? 4
              : 5
      : roll < 0.55
        ? 5
        : roll < 0.85
          ? 4
          : roll < 0.95
            ? 3
            : roll < 0.98
              ? 2
              : 1;
    const device = DEVICES[customer.device];
    out.review(customer, randomDaytime(random), rating, device?.store ?? 'web', random.chance(0.4));
  }
}

function randomDaytime(random: Random): number {
  return 8 * 3600 + random.below(15 * 3600);
}

export function supportTicket(
  out: EventWriter,
  customer: Customer,
  day: number,
  topic: string,
  random: Random,
) {
  let csat = 0;
  if (random.chance(0.65)) {
    const mean = 3.9 + 0.6 * customer.patience - (topic === 'billing' ? 0.8 : topic === 'playback' ? 0.5 : 0);
    csat = clamp(Math.round(mean + random.normal()), 1, 5);
    if (csat <= 2) customer.lastBadTicketDay = day;
  }
  out.supportTicket(customer, randomDaytime(random), topic, csat);
}

/** One session; returns true if the app crashed in it. */
function simulateSession(
  world: World,
  out: EventWriter,
  customers: readonly Customer[],
  customer: Customer,
  day: number,
  engagement: number,
  qualityFactor: number,
  random: Random,
): boolean {
  const usage = USAGE_PROFILES[customer.usage];
  const taste = TASTE_PROFILES[customer.taste];
  const hours = HOUR_WEIGHTS[customer.usage];
  if (usage === undefined || taste === undefined || hours === undefined) return false;
  const deviceIndex =
    customer.secondDevice >= 0 && random.chance(0.35) ? customer.secondDevice : customer.device;
  const device = DEVICES[deviceIndex]?.name ?? 'web';
  const start = random.weighted(hours) * 3600 + random.below(3600);
  let clock = start + 20 + random.below(60);

  if (random.chance(taste.searchChance)) {
    const query = random.pick(SEARCH_TERMS);
    if (random.chance(customer.taste === PREMIERES_ONLY ? 0.2 : 0.12))
      out.searchNoResult(customer, clock, query);
    else out.search(customer, clock, query, 1 + random.poisson(12));
    clock += 15 + random.below(90);
  }

  const plays = 1 + random.poisson(usage.extraPlays * (0.5 + 0.5 * engagement));
  const crashAt = random.chance(customer.crashRate * qualityFactor * plays) ? random.below(plays) : -1;
  for (let p = 0; p < plays && clock < 86_000; p++) {
    let genre: number;
    // Content ids are `<genre>-<title>` or `premiere-<number>`; the writer formats them.
    let content: string;
    let title: number;
    let fits: boolean;
    if (customer.groupSize > 1 && random.chance(CO_WATCH_SHARE)) {
      genre = customer.groupGenre;
      content = GENRE_NAMES[genre] ?? 'drama';
      title = groupSeries(customer, day);
      fits = true;
    } else if (customer.taste === PREMIERES_ONLY && random.chance(0.7)) {
      title = premiereNumber(world.latestPremiere[day] ?? 0);
      genre = deriveSeed(title) % GENRES.length;
      content = 'premiere';
      fits = true;
    } else {
      genre =
        customer.taste === GENRE_FAN && random.chance(0.7)
          ? customer.favouriteGenre
          : random.weighted(GENRE_WEIGHTS);
      content = GENRE_NAMES[genre] ?? 'drama';
      // Roughly Zipf(1) popularity: a log-uniform rank.
      title = Math.floor(Math.exp(random.next() * LOG_TITLES)) + 1;
      fits = genre === customer.favouriteGenre;
    }
    const length = (GENRES[genre]?.minutes ?? 40) * random.uniform(0.85, 1.15);
    const completion = clamp(
      (fits ? 0.82 : 0.62) * (0.5 + 0.5 * engagement) + 0.15 * random.normal(),
      0.02,
      1,
    );
    let minutes = length * completion;
    if (p === crashAt) minutes *= random.next();
    out.play(customer, clock, content, title, GENRE_NAMES[genre] ?? 'drama', minutes, completion);
    if (random.chance(customer.bufferingRate * qualityFactor)) {
      out.buffering(
        customer,
        clock + 30 + random.below(Math.max(1, Math.floor(minutes * 50))),
        2 + random.exponential(8),
        content,
        title,
      );
    }
    clock += minutes * 60;
    if (p === crashAt) {
      out.appCrash(customer, clock, device);
      break;
    }
    clock += 10 + random.below(120);
  }
  out.sessionStart(customer, start, device, (clock - start) / 60);

  if (customer.groupSize > 1 && random.chance(SHARE_PER_SESSION)) {
    const friend = customers[customer.groupStart + random.below(customer.groupSize)];
    if (friend !== undefined && friend !== customer && friend.arrivalDay <= day) {
      out.playlistShared(customer, clock, day, friend.userId);
    }
  }
  return crashAt >= 0;
}
