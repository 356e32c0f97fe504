import { describe, expect, it } from 'vitest';
import {
  EVENT_TYPES,
  type Event,
  EventSchema,
  isEvent,
  parseEvent,
  parseEventJson,
} from '../../../ml/schema/index.js';
import { Random } from '../../../ml/simulate/random.js';

const base = { event_id: 'e-1', user_id: 'u-000001', ts: '2025-03-14T21:34:12Z' };

/** One valid example per event type. */
const VALID: Record<(typeof EVENT_TYPES)[number], Record<string, unknown>> = {
  session_start: { device: 'smart_tv', minutes: 42.5 },
  play: { content_id: 'drama-12', genre: 'drama', minutes: 41.2, completion: 0.82 },
  search: { query: 'crime', results: 12 },
  search_no_result: { query: 'season 9' },
  payment_succeeded: { amount: 13.99, currency: 'EUR', attempt: 1 },
  payment_failed: { amount: 13.99, currency: 'EUR', attempt: 2, reason: 'card_expired' },
  subscription_started: { plan: 'standard', monthly_price: 13.99 },
  subscription_renewed: { plan: 'standard', paid_until: '2025-04-14T00:00:00.000Z' },
  subscription_cancelled: { reason: 'price', paid_until: '2025-04-14T00:00:00Z' },
  cancel_page_view: {},
  support_ticket: { topic: 'billing', csat: 2 },
  notification_sent: { campaign: 'new_release', channel: 'push' },
  notification_opened: { campaign: 'new_release' },
  buffering: { seconds: 7.5 },
  app_crash: { device: 'mobile_android' },
  referral: { referred_user_id: 'u-000002' },
  playlist_shared: { playlist_id: 'pl-1', shared_with: 'u-000003' },
  review: { rating: 4, store: 'app_store' },
};

function event(
  type: string,
  properties: unknown,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return { ...base, type, properties, ...overrides };
}

function reasonOf(input: unknown): string {
  const result = parseEvent(input);
  return result.ok ? 'accepted' : result.reason;
}

describe('parseEvent', () => {
  it('accepts a valid event of every type and returns it unchanged', () => {
    for (const type of EVENT_TYPES) {
      const input = event(type, VALID[type]);
      const result = parseEvent(input);
      expect(result, type).toEqual({ ok: true, event: input });
    }
  });

  it('keeps unknown keys in properties and at the top level', () => {
    const input = event('play', { ...VALID.play, co_watch: true }, { source: 'tv-app' });
    const result = parseEvent(input);
    expect(result.ok).toBe(true);
    if (result.ok && result.event.type === 'play') {
      expect(result.event.properties).toMatchObject({ co_watch: true, minutes: 41.2 });
    }
  });

  it('accepts +00:00 offsets, fractions and minute precision', () => {
    for (const ts of [
      '2025-03-14T21:34:12+00:00',
      '2025-03-14T21:34:12.123456Z',
      '2025-03-14T21:34Z',
      '2024-02-29T00:00:00Z',
    ]) {
      expect(reasonOf(event('cancel_page_view', {}, { ts })), ts).toBe('accepted');
    }
  });

  it('names a missing event_id and the rule', () => {
    const { event_id: _dropped, ...withoutId } = event('play', VALID.play);
    expect(reasonOf(withoutId)).toBe('event_id: required, expected string');
    expect(reasonOf(event('play', VALID.play, { event_id: '' }))).toBe('event_id: must not be empty');
  });

  it('rejects timestamps that are not ISO 8601 UTC or not calendar dates', () => {
    expect(reasonOf(event('play', VALID.play, { ts: 'yesterday' }))).toBe(
      'ts: expected ISO 8601 UTC timestamp, got "yesterday"',
    );
    for (const ts of [
      '2025-02-30T00:00:00Z',
      '2025-03-14T21:34:12+02:00',
      '2025-03-14T21:34:12',
      '2025-03-14',
      '2025-03-14T24:00:00Z',
      '2023-02-29T10:00:00Z',
      '2025-03-14T21:34:12-00:00',
    ]) {
      expect(reasonOf(event('play', VALID.play, { ts })), ts).toBe(
        `ts: expected ISO 8601 UTC timestamp, got "${ts}"`,
      );
    }
    expect(reasonOf(event('play', VALID.play, { ts: 1741988052000 }))).toBe(
      'ts: expected string, got 1741988052000',
    );
  });

  it('rejects an unknown type and lists the known ones', () => {
    expect(reasonOf(event('login', {}))).toBe(`type: expected one of ${EVENT_TYPES.join(', ')}, got "login"`);
    expect(reasonOf({ ...base, properties: {} })).toBe(
      `type: required, expected one of ${EVENT_TYPES.join(', ')}`,
    );
  });

  it('rejects wrong types of known properties, naming each field', () => {
    expect(reasonOf(event('play', { ...VALID.play, minutes: '41', completion: 1.5 }))).toBe(
      'properties.minutes: expected number, got "41"; properties.completion: must be <= 1, got 1.5',
    );
    expect(reasonOf(event('review', { rating: 4.5 }))).toBe('properties.rating: expected integer, got 4.5');
    expect(reasonOf(event('review', { rating: 0 }))).toBe('properties.rating: must be >= 1, got 0');
    expect(reasonOf(event('support_ticket', { topic: 'billing', csat: 6 }))).toBe(
      'properties.csat: must be <= 5, got 6',
    );
    expect(reasonOf(event('payment_failed', { amount: -1, currency: 'eur', attempt: 1 }))).toBe(
      'properties.amount: must be >= 0, got -1; properties.currency: expected ISO 4217 currency code (3 capital letters), got "eur"',
    );
    expect(reasonOf(event('referral', {}))).toBe('properties.referred_user_id: required, expected string');
    expect(reasonOf(event('session_start', { device: 'tv', minutes: Number.NaN }))).toBe(
      'properties.minutes: expected number, got NaN',
    );
  });

  it('rejects properties that are not an object', () => {
    expect(reasonOf(event('cancel_page_view', []))).toBe('properties: expected object, got an array');
    expect(reasonOf(event('cancel_page_view', null))).toBe('properties: expected object, got null');
    expect(reasonOf(event('cancel_page_view', 'none'))).toBe('properties: expected object, got "none"');
    const { properties: _dropped, ...withoutProperties } = event('cancel_page_view', {});
    expect(reasonOf(withoutProperties)).toBe('properties: required, expected object');
  });

  it('rejects input that is not an object at all', () => {
    expect(reasonOf('play')).toBe('event: expected object, got "play"');
    expect(reasonOf(null)).toBe('event: expected object, got null');
    expect(reasonOf([base])).toBe('event: expected object, got an array');
  });

  it('parses JSON lines and explains broken JSON', () => {
    const line = JSON.stringify(event('play', VALID.play));
    expect(parseEventJson(line).ok).toBe(true);
    const broken = parseEventJson('{"event_id":');
    expect(broken.ok).toBe(false);
    if (!broken.ok) expect(broken.reason).toMatch(/^event: not valid JSON/);
  });

  it('types properties by event type', () => {
    const result = parseEvent(event('play', VALID.play));
    if (!result.ok) throw new Error(result.reason);
    const minutes = (e: Event): number => (e.type === 'play' ? e.properties.minutes : 0);
    expect(minutes(result.event)).toBe(41.2);
  });
});

describe('isEvent (the fast path)', () => {
  // Values that probe each rule: right and wrong types, bounds, empty strings, odd objects.
  const PROBES: unknown[] = [
    undefined,
    null,
    true,
    0,
    -0,
    -1,
    0.5,
    1,
    1.5,
    5,
    6,
    2.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    2 ** 53,
    '',
    'x',
    'EUR',
    'eur',
    'DE',
    '2025-01-01T00:00:00Z',
    '2025-13-01T00:00:00Z',
    'play',
    [],
    {},
    { a: 1 },
  ];

  it('agrees with the zod schema on thousands of mutated events', () => {
    const random = new Random(20250101);
    let checked = 0;
    let rejected = 0;
    const probe = (): unknown => PROBES[random.below(PROBES.length)];
    for (let round = 0; round < 6000; round++) {
      const type = random.pick(EVENT_TYPES);
      let properties: Record<string, unknown> | undefined = { ...VALID[type] };
      const candidate: Record<string, unknown> = event(type, properties);
      const mutations = 1 + random.below(2);
      for (let m = 0; m < mutations; m++) {
        if (properties !== undefined && random.chance(0.6)) {
          const key: string = random.pick([...Object.keys(properties), 'extra']);
          const value = probe();
          const rest: Record<string, unknown> = { ...properties };
          delete rest[key];
          properties = value === undefined && random.chance(0.5) ? rest : { ...rest, [key]: value };
          candidate.properties = properties;
        } else {
          const key = random.pick(['event_id', 'user_id', 'ts', 'type', 'properties', 'extra']);
          candidate[key] = random.chance(0.3) ? random.pick(EVENT_TYPES) : probe();
          if (key === 'properties') properties = undefined;
        }
      }
      const fast = isEvent(candidate);
      const zod = EventSchema.safeParse(candidate).success;
      expect(fast, JSON.stringify(candidate)).toBe(zod);
      checked += 1;
      if (!zod) rejected += 1;
    }
    // Both outcomes must be well represented, or the comparison proves little.
    expect(rejected).toBeGreaterThan(checked * 0.3);
    expect(checked - rejected).toBeGreaterThan(checked * 0.1);
  });
});
