import { z } from 'zod';
import { describeValue, IsoUtcTimestamp, isIsoUtcTimestamp } from './timestamp.js';

/**
 * Field schemas shared by the contracts. Each is registered with a hand-written predicate that
 * accepts exactly what the zod schema accepts: `compileFastCheck` turns an object schema built
 * from these fields into a plain function, so the hot path (every Kinesis record) skips zod and
 * zod only runs to explain a rejection.
 */
const fastChecks = new Map<z.ZodType, (value: unknown) => boolean>();

function checked<T extends z.ZodType>(schema: T, accepts: (value: unknown) => boolean): T {
  fastChecks.set(schema, accepts);
  return schema;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isFiniteNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);
const isInteger = (value: unknown): value is number => Number.isSafeInteger(value);

export const Text = checked(z.string().min(1), (v) => typeof v === 'string' && v.length > 0);
export const AnyText = checked(z.string(), (v) => typeof v === 'string');
export const Timestamp = checked(IsoUtcTimestamp, (v) => typeof v === 'string' && isIsoUtcTimestamp(v));
export const NonNegative = checked(z.number().min(0), (v) => isFiniteNumber(v) && v >= 0);
export const Fraction = checked(z.number().min(0).max(1), (v) => isFiniteNumber(v) && v >= 0 && v <= 1);
export const Count = checked(z.int().min(0), (v) => isInteger(v) && v >= 0);
export const Attempt = checked(z.int().min(1), (v) => isInteger(v) && v >= 1);
export const Rating = checked(z.int().min(1).max(5), (v) => isInteger(v) && v >= 1 && v <= 5);
export const Bool = checked(z.boolean(), (v) => typeof v === 'boolean');

const CURRENCY = /^[A-Z]{3}$/;
export const Currency = checked(
  z.string().regex(CURRENCY, {
    error: (issue) =>
      `expected ISO 4217 currency code (3 capital letters), got ${describeValue(issue.input)}`,
  }),
  (v) => typeof v === 'string' && CURRENCY.test(v),
);

const COUNTRY = /^[A-Z]{2}$/;
export const Country = checked(
  z.string().regex(COUNTRY, {
    error: (issue) => `expected ISO 3166-1 alpha-2 country code, got ${describeValue(issue.input)}`,
  }),
  (v) => typeof v === 'string' && COUNTRY.test(v),
);

/** The field may be absent; when present it must satisfy `schema`. */
export function optional<T extends z.ZodType>(schema: T): z.ZodOptional<T> {
  const accepts = fastChecks.get(schema);
  if (accepts === undefined) throw new Error('optional(): the inner schema has no fast check registered');
  return checked(schema.optional(), (v) => v === undefined || accepts(v));
}

/** The field may be absent or null; when present it must satisfy `schema`. */
export function nullish<T extends z.ZodType>(schema: T): z.ZodOptional<z.ZodNullable<T>> {
  const accepts = fastChecks.get(schema);
  if (accepts === undefined) throw new Error('nullish(): the inner schema has no fast check registered');
  return checked(schema.nullable().optional(), (v) => v === undefined || v === null || accepts(v));
}

/** A literal value (the event `type` of one variant). */
export function literal<T extends string>(value: T): z.ZodLiteral<T> {
  return checked(z.literal(value), (v) => v === value);
}

/**
 * A predicate equivalent to `schema` for object schemas whose fields were all built here.
 * Throws at module load if a field has no registered check, so the two paths cannot drift apart.
 */
export function compileFastCheck(schema: z.ZodObject): (value: Record<string, unknown>) => boolean {
  const entries: Array<readonly [string, (value: unknown) => boolean]> = [];
  for (const [key, field] of Object.entries(schema.shape)) {
    const accepts = fastChecks.get(field);
    if (accepts === undefined)
      throw new Error(`compileFastCheck(): field ${key} has no fast check registered`);
    entries.push([key, accepts]);
  }
  return (value) => {
    for (const [key, accepts] of entries) {
      if (!accepts(value[key])) return false;
    }
    return true;
  };
}
