/**
 * The simulated video streaming service: its segments, plans, channels, devices, countries and
 * catalogue. Weights are shares of new customers; the behavioural numbers are per customer.
 */

export const ACTIVITY_SEGMENTS = ['hub', 'regular', 'sporadic', 'sleeper'] as const;
export const TASTE_SEGMENTS = ['genre_fan', 'explorer', 'premieres_only'] as const;
export const USAGE_PATTERNS = ['night', 'morning', 'tv_only', 'mixed'] as const;

export type ActivitySegment = (typeof ACTIVITY_SEGMENTS)[number];
export type TasteSegment = (typeof TASTE_SEGMENTS)[number];
export type UsagePattern = (typeof USAGE_PATTERNS)[number];

export interface ActivityProfile {
  readonly share: number;
  /** Median sessions per day while engaged. */
  readonly sessionsPerDay: number;
  /** Log-scale spread of that rate between customers. */
  readonly spread: number;
  /** Added to the log of the churn-onset hazard. */
  readonly hazard: number;
}

/** Hubs watch daily, regulars 2-3 times a week, sporadics 1-2 times a month; sleepers are lapsing. */
export const ACTIVITY: Readonly<Record<ActivitySegment, ActivityProfile>> = {
  hub: { share: 0.18, sessionsPerDay: 0.75, spread: 0.25, hazard: -0.9 },
  regular: { share: 0.42, sessionsPerDay: 0.34, spread: 0.25, hazard: 0 },
  sporadic: { share: 0.25, sessionsPerDay: 0.05, spread: 0.3, hazard: 0.65 },
  sleeper: { share: 0.15, sessionsPerDay: 0.3, spread: 0.3, hazard: 1.0 },
};

/** Sleepers' usage decays towards this floor with this time constant (days). */
export const SLEEPER_FLOOR = 0.08;
export const SLEEPER_DECAY_DAYS = 40;

export interface TasteProfile {
  readonly share: number;
  readonly hazard: number;
  /** Chance that a session starts with a search. */
  readonly searchChance: number;
}

export const TASTE: Readonly<Record<TasteSegment, TasteProfile>> = {
  genre_fan: { share: 0.45, hazard: -0.15, searchChance: 0.2 },
  explorer: { share: 0.35, hazard: 0, searchChance: 0.45 },
  premieres_only: { share: 0.2, hazard: 0.25, searchChance: 0.35 },
};

export interface UsageProfile {
  readonly share: number;
  /** Relative session starts per hour of day (UTC, 24 entries). */
  readonly hours: readonly number[];
  /** Session-rate factor on Saturday and Sunday. */
  readonly weekend: number;
  /** Mean extra plays per session beyond the first. */
  readonly extraPlays: number;
}

export const USAGE: Readonly<Record<UsagePattern, UsageProfile>> = {
  night: {
    share: 0.22,
    hours: [
      9, 7, 4, 2, 1, 0.5, 0.3, 0.3, 0.3, 0.3, 0.4, 0.5, 0.6, 0.6, 0.6, 0.7, 0.8, 1, 1.5, 2.5, 4, 6, 9, 10,
    ],
    weekend: 1.2,
    extraPlays: 0.9,
  },
  morning: {
    share: 0.13,
    hours: [
      0.2, 0.1, 0.1, 0.1, 0.3, 1.5, 6, 9, 8, 4, 1.5, 1, 1.2, 1, 0.8, 0.7, 0.8, 1, 1.2, 1.3, 1.2, 0.8, 0.5,
      0.3,
    ],
    weekend: 0.8,
    extraPlays: 0.4,
  },
  tv_only: {
    share: 0.2,
    hours: [
      1.5, 0.6, 0.2, 0.1, 0.1, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1, 1, 1, 1.2, 1.6, 2.5, 4.5, 7, 9, 9, 6.5,
      3.5,
    ],
    weekend: 1.35,
    extraPlays: 1.3,
  },
  mixed: {
    share: 0.45,
    hours: [
      1, 0.5, 0.2, 0.1, 0.1, 0.2, 0.6, 1.2, 1.4, 1.2, 1.2, 1.5, 2.4, 2, 1.5, 1.5, 1.8, 2.4, 3.4, 4.5, 5.5,
      5.5, 4, 2,
    ],
    weekend: 1.25,
    extraPlays: 0.8,
  },
};

export interface Plan {
  readonly name: string;
  /** Monthly list price in EUR; local prices follow the country's price level. */
  readonly price: number;
  readonly share: number;
}

export const PLANS: readonly Plan[] = [
  { name: 'ads', price: 5.99, share: 0.2 },
  { name: 'basic', price: 8.99, share: 0.25 },
  { name: 'standard', price: 13.99, share: 0.4 },
  { name: 'premium', price: 17.99, share: 0.15 },
];

export interface Channel {
  readonly name: string;
  /** Share among customers who were not referred. */
  readonly share: number;
  readonly hazard: number;
  /** Multiplies price sensitivity. */
  readonly priceSensitivity: number;
}

export const REFERRAL_CHANNEL = 'referral';
/** The telco partner's offer: half price for the first three billing months. */
export const PARTNER_PROMO_CHANNEL = 'partner_promo';
export const PROMO_DISCOUNT = 0.5;
export const PROMO_MONTHS = 3;

export const CHANNELS: readonly Channel[] = [
  { name: 'organic', share: 0.3, hazard: 0, priceSensitivity: 1 },
  { name: 'paid_search', share: 0.17, hazard: 0.1, priceSensitivity: 1.1 },
  { name: 'social_ads', share: 0.14, hazard: 0.3, priceSensitivity: 1.3 },
  { name: PARTNER_PROMO_CHANNEL, share: 0.16, hazard: 0.05, priceSensitivity: 2.2 },
  { name: 'app_store', share: 0.13, hazard: 0.1, priceSensitivity: 1.1 },
  { name: REFERRAL_CHANNEL, share: 0, hazard: -0.3, priceSensitivity: 0.9 },
];

export interface Device {
  readonly name: string;
  readonly share: number;
  /** App crashes per session. */
  readonly crashRate: number;
  /** Multiplies the buffering rate of the network. */
  readonly buffering: number;
  readonly store: string;
}

export const DEVICES: readonly Device[] = [
  { name: 'smart_tv', share: 0.3, crashRate: 0.006, buffering: 1.0, store: 'tv_store' },
  { name: 'mobile_android', share: 0.22, crashRate: 0.02, buffering: 1.3, store: 'google_play' },
  { name: 'mobile_ios', share: 0.18, crashRate: 0.006, buffering: 1.1, store: 'app_store' },
  { name: 'web', share: 0.15, crashRate: 0.003, buffering: 1.2, store: 'web' },
  { name: 'streaming_stick', share: 0.1, crashRate: 0.012, buffering: 1.15, store: 'tv_store' },
  { name: 'console', share: 0.05, crashRate: 0.004, buffering: 1.0, store: 'tv_store' },
];

export interface Country {
  readonly code: string;
  readonly share: number;
  readonly currency: string;
  /** Local price = EUR price x this, rounded to .99. */
  readonly priceLevel: number;
  /** 1 = flawless network; buffering grows as it falls. */
  readonly networkQuality: number;
  /** Multiplies price sensitivity (purchasing power). */
  readonly priceSensitivity: number;
  /** Multiplies the chance that a card payment fails. */
  readonly paymentRisk: number;
}

export const COUNTRIES: readonly Country[] = [
  {
    code: 'US',
    share: 0.27,
    currency: 'USD',
    priceLevel: 1.1,
    networkQuality: 0.9,
    priceSensitivity: 1,
    paymentRisk: 1,
  },
  {
    code: 'GB',
    share: 0.1,
    currency: 'GBP',
    priceLevel: 0.9,
    networkQuality: 0.92,
    priceSensitivity: 1,
    paymentRisk: 0.9,
  },
  {
    code: 'DE',
    share: 0.12,
    currency: 'EUR',
    priceLevel: 1,
    networkQuality: 0.88,
    priceSensitivity: 1,
    paymentRisk: 0.7,
  },
  {
    code: 'FR',
    share: 0.09,
    currency: 'EUR',
    priceLevel: 1,
    networkQuality: 0.9,
    priceSensitivity: 1,
    paymentRisk: 0.8,
  },
  {
    code: 'ES',
    share: 0.07,
    currency: 'EUR',
    priceLevel: 0.9,
    networkQuality: 0.86,
    priceSensitivity: 1.15,
    paymentRisk: 1,
  },
  {
    code: 'IT',
    share: 0.06,
    currency: 'EUR',
    priceLevel: 0.9,
    networkQuality: 0.82,
    priceSensitivity: 1.15,
    paymentRisk: 1.1,
  },
  {
    code: 'NL',
    share: 0.04,
    currency: 'EUR',
    priceLevel: 1,
    networkQuality: 0.95,
    priceSensitivity: 0.9,
    paymentRisk: 0.6,
  },
  {
    code: 'PL',
    share: 0.06,
    currency: 'PLN',
    priceLevel: 3.2,
    networkQuality: 0.8,
    priceSensitivity: 1.3,
    paymentRisk: 1.2,
  },
  {
    code: 'BR',
    share: 0.11,
    currency: 'BRL',
    priceLevel: 4,
    networkQuality: 0.7,
    priceSensitivity: 1.5,
    paymentRisk: 1.8,
  },
  {
    code: 'MX',
    share: 0.08,
    currency: 'MXN',
    priceLevel: 15,
    networkQuality: 0.72,
    priceSensitivity: 1.5,
    paymentRisk: 1.6,
  },
];

export interface Genre {
  readonly name: string;
  /** Typical length of one play (episode or film) in minutes. */
  readonly minutes: number;
  readonly share: number;
}

export const GENRES: readonly Genre[] = [
  { name: 'drama', minutes: 50, share: 0.18 },
  { name: 'comedy', minutes: 26, share: 0.15 },
  { name: 'crime', minutes: 48, share: 0.13 },
  { name: 'documentary', minutes: 45, share: 0.08 },
  { name: 'kids', minutes: 22, share: 0.1 },
  { name: 'sci_fi', minutes: 52, share: 0.09 },
  { name: 'reality', minutes: 40, share: 0.08 },
  { name: 'anime', minutes: 24, share: 0.07 },
  { name: 'sports', minutes: 95, share: 0.05 },
  { name: 'horror', minutes: 92, share: 0.07 },
];

/** Titles per genre; popularity is roughly Zipf(1) over them. */
export const TITLES_PER_GENRE = 400;
/** A big premiere every four weeks; premieres-only customers live from one to the next. */
export const PREMIERE_EVERY_DAYS = 28;
export const PREMIERE_FIRST_DAY = 9;
export const PREMIERE_FRESH_DAYS = 10;

export const TICKET_TOPICS = ['account', 'content', 'billing', 'playback'] as const;
export const SEARCH_TERMS = [
  'new',
  'series',
  'movie',
  'kids',
  'crime',
  'comedy',
  'live',
  'season 2',
  'documentary',
  'anime',
  'thriller',
  'award',
] as const;
export const NOTIFICATION_CAMPAIGNS = ['recommendation', 'new_release', 'continue_watching'] as const;
export const PAYMENT_FAILURE_REASONS = ['insufficient_funds', 'card_expired', 'do_not_honor'] as const;
