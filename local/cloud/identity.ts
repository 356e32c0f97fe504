import { createHash, randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';
import { z } from 'zod';
import { ROLES, type Role } from '../../functions/shared/caller.js';
import { ValidationError } from '../../functions/shared/errors.js';

/** The file in `dir` that holds the key pair, so every process of one checkout shares the user pool. */
export const IDENTITY_FILE = 'identity.json';

export interface LocalIdentityOptions {
  /** Persist the key pair in `<dir>/identity.json`; omitted means a fresh in-memory pool. */
  readonly dir?: string;
  /** @default the region of `userPoolId`, else 'eu-west-1' */
  readonly region?: string;
  /** Must look like a Cognito pool id (`<region>_<id>`): aws-jwt-verify derives the issuer from it. @default '<region>_local' */
  readonly userPoolId?: string;
  /** The app client: the `aud` of every ID token. @default 'churn-radar-local' */
  readonly clientId?: string;
}

/** A public signing key as Cognito publishes it at `<issuer>/.well-known/jwks.json`. */
export type PublicSigningJwk = {
  readonly kty: 'RSA';
  readonly alg: 'RS256';
  readonly use: 'sig';
  readonly kid: string;
  readonly n: string;
  readonly e: string;
};

// A mutable array: aws-jwt-verify's `Jwks` type is a JSON object, and JSON arrays are mutable there.
export type LocalJwks = { keys: PublicSigningJwk[] };

export interface SignTokenOptions {
  readonly role: Role;
  /** @default a UUID derived from the username, so repeated tokens name the same user */
  readonly sub?: string;
  /** `cognito:username`. @default `manager-<managerId>` for managers, `local-<role>` otherwise */
  readonly username?: string;
  /** `custom:manager_id`: required for managers, who see only the customers carrying it. */
  readonly managerId?: string;
  readonly email?: string;
  /** Groups besides `role`, e.g. to try role precedence end to end. */
  readonly extraGroups?: readonly string[];
  /** Negative values mint an already expired token. @default 3600 (Cognito's default ID token validity) */
  readonly expiresInSeconds?: number;
}

const DEFAULT_REGION = 'eu-west-1';
const DEFAULT_CLIENT_ID = 'churn-radar-local';
/** aws-jwt-verify's own rule; a pool id it rejects would make every token unverifiable. */
const USER_POOL_ID = /^(?<region>(?:eusc-[a-z]{2}|[a-z]{2})-(gov-)?[a-z]+-\d)_[a-zA-Z0-9]+$/;

const SignTokenInput = z.object({
  role: z.enum(ROLES, { error: `role must be one of ${ROLES.join(', ')}` }),
  sub: z.string().min(1, 'sub must not be empty').optional(),
  username: z.string().min(1, 'username must not be empty').optional(),
  managerId: z.string().trim().min(1, 'managerId must not be empty').optional(),
  email: z.email('email must be an email address').optional(),
  extraGroups: z.array(z.string().min(1, 'a group name must not be empty')).optional(),
  expiresInSeconds: z.number().int('expiresInSeconds must be a whole number of seconds').optional(),
});

const RsaPrivateJwk = z.object({
  kty: z.literal('RSA'),
  n: z.string().min(1),
  e: z.string().min(1),
  d: z.string().min(1),
  p: z.string().min(1),
  q: z.string().min(1),
  dp: z.string().min(1),
  dq: z.string().min(1),
  qi: z.string().min(1),
});
type RsaPrivateJwk = z.infer<typeof RsaPrivateJwk>;

const StoredIdentity = z.object({
  version: z.literal(1),
  createdAt: z.string(),
  privateJwk: RsaPrivateJwk,
});
type StoredIdentity = z.infer<typeof StoredIdentity>;

type SigningKey = Awaited<ReturnType<typeof importJWK>>;

/**
 * A local stand-in for a Cognito user pool: it mints RS256 ID tokens shaped like Cognito's, with
 * Cognito's issuer, so the same `CognitoJwtVerifier` code verifies them locally and in AWS.
 */
export class LocalIdentity {
  readonly region: string;
  readonly userPoolId: string;
  readonly clientId: string;
  /** `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`, exactly as Cognito writes `iss`. */
  readonly issuer: string;
  /** The `kid` of the signing key: its RFC 7638 thumbprint, so two pools never share one by accident. */
  readonly kid: string;
  private readonly signingKey: SigningKey;
  private readonly publicJwk: PublicSigningJwk;

  private constructor(
    pool: ResolvedPool,
    clientId: string,
    kid: string,
    signingKey: SigningKey,
    jwk: RsaPrivateJwk,
  ) {
    this.region = pool.region;
    this.userPoolId = pool.userPoolId;
    this.clientId = clientId;
    this.issuer = `https://cognito-idp.${pool.region}.amazonaws.com/${pool.userPoolId}`;
    this.kid = kid;
    this.signingKey = signingKey;
    this.publicJwk = { kty: 'RSA', alg: 'RS256', use: 'sig', kid, n: jwk.n, e: jwk.e };
  }

  static async load(options: LocalIdentityOptions = {}): Promise<LocalIdentity> {
    const pool = resolvePool(options);
    const clientId = options.clientId ?? DEFAULT_CLIENT_ID;
    if (clientId.trim() === '') throw new ValidationError('clientId must not be empty');
    const stored =
      options.dir === undefined ? await createIdentity() : await loadOrCreateIdentity(options.dir);
    const { privateJwk } = stored;
    const kid = await calculateJwkThumbprint({ kty: privateJwk.kty, n: privateJwk.n, e: privateJwk.e });
    const signingKey = await importJWK(privateJwk, 'RS256');
    return new LocalIdentity(pool, clientId, kid, signingKey, privateJwk);
  }

  /** The public keys, for `CognitoJwtVerifier.cacheJwks` (no fetch from AWS) or a JWKS endpoint. */
  jwks(): LocalJwks {
    return { keys: [{ ...this.publicJwk }] };
  }

  /** An ID token (`token_use: 'id'`) as Cognito issues one after sign-in, for a user in `role`'s group. */
  async signToken(options: SignTokenOptions): Promise<string> {
    const parsed = SignTokenInput.safeParse(options);
    if (!parsed.success) throw new ValidationError(`Cannot sign a token: ${z.prettifyError(parsed.error)}`);
    const input = parsed.data;
    if (input.role === 'manager' && input.managerId === undefined) {
      throw new ValidationError(
        'A manager token needs managerId: managers see only the customers whose manager_id is theirs, ' +
          'and it travels as the custom:manager_id claim',
      );
    }
    const username =
      input.username ?? (input.managerId ? `manager-${input.managerId}` : `local-${input.role}`);
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      sub: input.sub ?? stableUuid(`${this.issuer}|${username}`),
      'cognito:groups': [...new Set([input.role, ...(input.extraGroups ?? [])])],
      'cognito:username': username,
      ...(input.managerId === undefined ? {} : { 'custom:manager_id': input.managerId }),
      ...(input.email === undefined ? {} : { email: input.email, email_verified: true }),
      origin_jti: randomUUID(),
      event_id: randomUUID(),
      token_use: 'id',
      auth_time: now,
      jti: randomUUID(),
    };
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: this.kid })
      .setIssuer(this.issuer)
      .setAudience(this.clientId)
      .setIssuedAt(now)
      .setExpirationTime(now + (input.expiresInSeconds ?? 3600))
      .sign(this.signingKey);
  }
}

interface ResolvedPool {
  readonly region: string;
  readonly userPoolId: string;
}

function resolvePool(options: LocalIdentityOptions): ResolvedPool {
  const userPoolId = options.userPoolId ?? `${options.region ?? DEFAULT_REGION}_local`;
  const poolRegion = USER_POOL_ID.exec(userPoolId)?.groups?.region;
  if (poolRegion === undefined) {
    throw new ValidationError(
      `userPoolId "${userPoolId}" is not a Cognito user pool id: use <region>_<letters and digits>, e.g. eu-west-1_local`,
    );
  }
  if (options.region !== undefined && options.region !== poolRegion) {
    throw new ValidationError(
      `userPoolId "${userPoolId}" belongs to region ${poolRegion}, not ${options.region}: ` +
        'Cognito derives the issuer from the pool id, so the two must agree',
    );
  }
  return { region: poolRegion, userPoolId };
}

async function createIdentity(): Promise<StoredIdentity> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const privateJwk = RsaPrivateJwk.parse(await exportJWK(privateKey));
  return { version: 1, createdAt: new Date().toISOString(), privateJwk };
}

/**
 * Reads the pool's key pair, or creates it. Creation links a complete temp file into place, so a
 * second process starting at the same moment either sees the whole file or loses the race and
 * reads the winner's: both end up with one key.
 */
async function loadOrCreateIdentity(dir: string): Promise<StoredIdentity> {
  const file = join(dir, IDENTITY_FILE);
  const existing = await readIdentity(file);
  if (existing !== undefined) return existing;

  await mkdir(dir, { recursive: true });
  const created = await createIdentity();
  const temp = join(dir, `.${IDENTITY_FILE}.${process.pid}.${randomUUID()}.tmp`);
  // 0600: the file holds the private key that every local token is trusted by.
  await writeFile(temp, `${JSON.stringify(created, null, 2)}\n`, { mode: 0o600 });
  try {
    await link(temp, file);
    return created;
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw error;
    const winner = await readIdentity(file);
    if (winner === undefined) throw error;
    return winner;
  } finally {
    await rm(temp, { force: true });
  }
}

async function readIdentity(file: string): Promise<StoredIdentity | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = StoredIdentity.safeParse(parseJson(text));
  if (!parsed.success) {
    throw new ValidationError(
      `${file} is not a local user pool key file (${z.prettifyError(parsed.error)}); ` +
        'delete it to create a new key pair (tokens minted with the old one will stop working)',
    );
  }
  return parsed.data;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errnoCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/** A UUID-shaped id that is the same every time for the same seed, like a real user's `sub`. */
function stableUuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  const variant = ((Number.parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
