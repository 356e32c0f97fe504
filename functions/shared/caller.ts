import { z } from 'zod';
import { ForbiddenError, UnauthorizedError } from './errors.js';

/** The Cognito groups the API knows, strongest first: a user in several groups gets the first match. */
export const ROLES = ['admin', 'analyst', 'manager'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, as the use cases see it: no token formats, no API Gateway shapes. */
export interface Caller {
  /** The Cognito `sub`: stable for the life of the user, unlike the username or email. */
  readonly userId: string;
  readonly role: Role;
  /** Every group of the user, known to us or not, for auditing. */
  readonly groups: readonly string[];
  /** Present for managers (who see only their own customers); absent when the user pool has none. */
  readonly managerId?: string;
}

/**
 * Reads `cognito:groups` in every form it reaches a Lambda:
 * - an array, as in the token itself (direct invocations, tests, a custom authorizer passing it on);
 * - `"admin,analyst"`: a REST API's Cognito user-pool authorizer joins arrays with commas;
 * - `"[admin analyst]"`: an HTTP API's JWT authorizer prints arrays bracketed and space-separated;
 * - `'["admin","analyst"]'`: JSON, from hand-written events and some proxies.
 */
export function parseCognitoGroups(value: string | readonly string[]): string[] {
  const parts = typeof value === 'string' ? splitGroupString(value) : value;
  const groups = parts.map((group) => group.trim()).filter((group) => group.length > 0);
  return [...new Set(groups)];
}

function splitGroupString(value: string): readonly string[] {
  const text = value.trim();
  if (!(text.startsWith('[') && text.endsWith(']'))) return text.split(',');
  const inner = text.slice(1, -1);
  if (inner.includes('"')) {
    const parsed = z.array(z.string()).safeParse(parseJson(text));
    if (parsed.success) return parsed.data;
  }
  // Cognito group names cannot contain whitespace, so splitting on it is safe.
  return inner.split(/[\s,]+/);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The claims a handler relies on. Loose: ID tokens carry many more (email, iss, exp...), which
 * API Gateway passes on and we ignore.
 */
export const CognitoClaims = z.looseObject({
  sub: z.string({ error: 'sub must be the Cognito user id (a string)' }).min(1, 'sub must not be empty'),
  'cognito:groups': z
    .union([z.string(), z.array(z.string())], {
      error: 'cognito:groups must be a string or an array of strings',
    })
    .optional(),
  'custom:manager_id': z.string({ error: 'custom:manager_id must be a string' }).optional(),
});
export type CognitoClaims = z.infer<typeof CognitoClaims>;

/** The smallest event shape that carries claims: REST (`authorizer.claims`) or HTTP API (`authorizer.jwt.claims`). */
export interface EventWithAuthorizer {
  readonly requestContext?: { readonly authorizer?: unknown } | null;
}

/**
 * The caller of an API Gateway request, from the claims the Cognito authorizer verified.
 * Throws {@link UnauthorizedError} when there are no usable claims (the route is not behind the
 * authorizer) and {@link ForbiddenError} when the user is in no group we know, or is a manager with
 * no `custom:manager_id` (we could not tell whose customers they may see).
 */
export function callerOf(event: EventWithAuthorizer): Caller {
  const rawClaims = claimsOf(event);
  if (rawClaims === undefined) {
    throw new UnauthorizedError(
      'The request carries no Cognito claims (requestContext.authorizer.claims): ' +
        'the route must sit behind the Cognito user-pool authorizer',
    );
  }
  const parsed = CognitoClaims.safeParse(rawClaims);
  if (!parsed.success) {
    throw new UnauthorizedError(`The Cognito claims are unusable: ${z.prettifyError(parsed.error)}`);
  }
  const claims = parsed.data;
  const groups = parseCognitoGroups(claims['cognito:groups'] ?? []);
  const role = ROLES.find((known) => groups.includes(known));
  if (role === undefined) {
    throw new ForbiddenError(
      `User ${claims.sub} is in none of the groups ${ROLES.join(', ')} ` +
        `(their groups: ${groups.length > 0 ? groups.join(', ') : 'none'}); add them to one in the user pool`,
    );
  }
  const managerId = claims['custom:manager_id']?.trim() || undefined;
  if (role === 'manager' && managerId === undefined) {
    throw new ForbiddenError(
      `Manager ${claims.sub} has no custom:manager_id claim, so there is no way to tell whose customers ` +
        'they may see; set the custom:manager_id attribute of the user in the user pool',
    );
  }
  return managerId === undefined
    ? { userId: claims.sub, role, groups }
    : { userId: claims.sub, role, groups, managerId };
}

function claimsOf(event: EventWithAuthorizer): Record<string, unknown> | undefined {
  const authorizer = event.requestContext?.authorizer;
  if (!isRecord(authorizer)) return undefined;
  if (isRecord(authorizer.claims)) return authorizer.claims;
  if (isRecord(authorizer.jwt) && isRecord(authorizer.jwt.claims)) return authorizer.jwt.claims;
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
