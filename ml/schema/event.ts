import { z } from 'zod';
import {
  AnyText,
  Attempt,
  Bool,
  Count,
  Currency,
  compileFastCheck,
  Fraction,
  isRecord,
  literal,
  NonNegative,
  optional,
  Rating,
  Text,
  Timestamp,
} from './fields.js';
import { formatIssues } from './format-issues.js';
import { isIsoUtcTimestamp } from './timestamp.js';

/** Every event type the platform understands (DESIGN.md, "Contracts"). */
export const EVENT_TYPES = [
  'session_start',
  'play',
  'search',
  'search_no_result',
  'payment_succeeded',
  'payment_failed',
  'subscription_started',
  'subscription_renewed',
  'subscription_cancelled',
  'cancel_page_view',
  'support_ticket',
  'notification_sent',
  'notification_opened',
  'buffering',
  'app_crash',
  'referral',
  'playlist_shared',
  'review',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

// Property schemas are loose: producers may add keys (they are kept), but the keys we know
// must have the right types, because features are computed from them.
const PaymentProperties = {
  amount: NonNegative,
  currency: Currency,
  attempt: Attempt,
};

export const EVENT_PROPERTIES = {
  session_start: z.looseObject({ device: Text, minutes: optional(NonNegative) }),
  play: z.looseObject({ content_id: Text, genre: Text, minutes: NonNegative, completion: Fraction }),
  search: z.looseObject({ query: optional(AnyText), results: optional(Count) }),
  search_no_result: z.looseObject({ query: optional(AnyText) }),
  payment_succeeded: z.looseObject({ ...PaymentProperties }),
  payment_failed: z.looseObject({ ...PaymentProperties, reason: optional(Text) }),
  subscription_started: z.looseObject({ plan: Text, monthly_price: optional(NonNegative) }),
  subscription_renewed: z.looseObject({ plan: optional(Text), paid_until: optional(Timestamp) }),
  subscription_cancelled: z.looseObject({ reason: optional(Text), paid_until: optional(Timestamp) }),
  cancel_page_view: z.looseObject({}),
  support_ticket: z.looseObject({ topic: Text, csat: optional(Rating) }),
  notification_sent: z.looseObject({ campaign: optional(Text), channel: optional(Text) }),
  notification_opened: z.looseObject({ campaign: optional(Text) }),
  buffering: z.looseObject({ seconds: optional(NonNegative) }),
  app_crash: z.looseObject({ device: optional(Text) }),
  referral: z.looseObject({ referred_user_id: Text }),
  playlist_shared: z.looseObject({ playlist_id: optional(Text), shared_with: optional(Text) }),
  review: z.looseObject({ rating: Rating, store: optional(Text), with_text: optional(Bool) }),
} as const satisfies Record<EventType, z.ZodObject>;

function variant<T extends EventType>(type: T) {
  return z.looseObject({
    event_id: Text,
    user_id: Text,
    ts: Timestamp,
    type: literal(type),
    properties: EVENT_PROPERTIES[type],
  });
}

/** One event (a Kinesis record, an API body item, an imported line). Unknown top-level keys are kept. */
export const EventSchema = z.discriminatedUnion('type', [
  variant('session_start'),
  variant('play'),
  variant('search'),
  variant('search_no_result'),
  variant('payment_succeeded'),
  variant('payment_failed'),
  variant('subscription_started'),
  variant('subscription_renewed'),
  variant('subscription_cancelled'),
  variant('cancel_page_view'),
  variant('support_ticket'),
  variant('notification_sent'),
  variant('notification_opened'),
  variant('buffering'),
  variant('app_crash'),
  variant('referral'),
  variant('playlist_shared'),
  variant('review'),
]);

export type Event = z.infer<typeof EventSchema>;
/** The event of one type, with its typed properties: `EventOf<'play'>['properties']['minutes']`. */
export type EventOf<T extends EventType> = Extract<Event, { type: T }>;

export type ParseEventResult = { ok: true; event: Event } | { ok: false; reason: string };

const propertyChecks = new Map<string, (properties: Record<string, unknown>) => boolean>(
  EVENT_TYPES.map((type) => [type, compileFastCheck(EVENT_PROPERTIES[type])]),
);

/**
 * True when `input` is a valid event. Equivalent to `EventSchema` (a test holds them together)
 * but several times faster, because it allocates nothing and returns the input itself.
 */
export function isEvent(input: unknown): input is Event {
  if (!isRecord(input)) return false;
  const { event_id, user_id, ts, type, properties } = input;
  if (typeof event_id !== 'string' || event_id.length === 0) return false;
  if (typeof user_id !== 'string' || user_id.length === 0) return false;
  if (typeof ts !== 'string' || !isIsoUtcTimestamp(ts)) return false;
  if (typeof type !== 'string') return false;
  const propertiesAccepted = propertyChecks.get(type);
  return propertiesAccepted !== undefined && isRecord(properties) && propertiesAccepted(properties);
}

/**
 * Validates one event. Valid input comes back as it is (no copy); invalid input gets a reason
 * naming each broken field and rule, e.g. `ts: expected ISO 8601 UTC timestamp, got "yesterday"`.
 */
export function parseEvent(input: unknown): ParseEventResult {
  if (isEvent(input)) return { ok: true, event: input };
  const result = EventSchema.safeParse(input, { reportInput: true });
  if (result.success) return { ok: true, event: result.data };
  return { ok: false, reason: formatIssues(result.error, 'event') };
}

/** Parses one JSON line (a Kinesis record payload or a JSONL line) and validates it. */
export function parseEventJson(line: string): ParseEventResult {
  let input: unknown;
  try {
    input = JSON.parse(line);
  } catch (error) {
    return {
      ok: false,
      reason: `event: not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    };
  }
  return parseEvent(input);
}
