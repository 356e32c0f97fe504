import { createHash, randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
  validateHeaderName,
  validateHeaderValue,
} from 'node:http';
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import {
  CognitoJwtInvalidClientIdError,
  CognitoJwtInvalidTokenUseError,
  JwtExpiredError,
  JwtInvalidIssuerError,
  JwtInvalidSignatureAlgorithmError,
  JwtInvalidSignatureError,
  JwtNotBeforeError,
  JwtParseError,
  JwtWithoutValidKidError,
  KidNotFoundInJwksError,
} from 'aws-jwt-verify/error';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { decodeJwt } from 'jose';
import { z } from 'zod';
import type { LocalIdentity } from './identity.js';
import { type LocalHandler, lambdaContext } from './lambda.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS' | 'ANY';

export interface ApiRoute {
  readonly method: HttpMethod;
  /** A REST API resource path: `/v1/customers/{id}`, or `/files/{path+}` for the rest of the path. */
  readonly path: string;
  /** The Lambda's name, for its context and the logs. */
  readonly functionName: string;
  readonly handler: LocalHandler<APIGatewayProxyEvent, APIGatewayProxyResult>;
  /** @default 'cognito' */
  readonly authorization?: 'cognito' | 'none';
}

export interface ApiGatewayLogger {
  info(message: string, details?: Readonly<Record<string, unknown>>): void;
  error(message: string, details?: Readonly<Record<string, unknown>>): void;
}

/** What the gateway needs of a user pool; a {@link LocalIdentity} is one. */
export type ApiIdentity = Pick<LocalIdentity, 'userPoolId' | 'clientId' | 'issuer' | 'jwks'>;

export interface ApiGatewayOptions {
  readonly routes: readonly ApiRoute[];
  readonly identity: ApiIdentity;
  /** 0 picks a free port, as tests do. @default 0 */
  readonly port?: number;
  /** @default '127.0.0.1' (loopback only: the local cloud is not meant to be reachable from the network) */
  readonly host?: string;
  /** @default 'local' */
  readonly stage?: string;
  /** @default JSON lines on stdout (access) and stderr (errors) */
  readonly logger?: ApiGatewayLogger;
}

export interface RunningApi {
  /**
   * Base URL, without the stage that real invoke URLs carry: `${url}/v1/customers`. The stage still
   * shows where handlers see it, in `requestContext.stage` and `requestContext.path`.
   */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** API Gateway's payload limit. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;
export const REQUEST_ID_HEADER = 'x-amzn-RequestId';
const LOCAL_ACCOUNT_ID = '000000000000';
const LOCAL_API_ID = 'local';

/**
 * A REST API (v1) with a Cognito user-pool authorizer and Lambda proxy integrations, on node:http.
 * Tokens are verified with the same `CognitoJwtVerifier` a handler would use in AWS, fed the local
 * JWKS up front so nothing is fetched from the network.
 */
export async function startApiGateway(options: ApiGatewayOptions): Promise<RunningApi> {
  const host = options.host ?? '127.0.0.1';
  const stage = options.stage ?? 'local';
  const logger = options.logger ?? jsonLinesLogger;
  const resources = compileRoutes(options.routes);
  const authorizer = makeAuthorizer(options.identity);

  const server = createServer((request, response) => {
    handleRequest({ request, response, resources, authorizer, stage, logger }).catch((error: unknown) => {
      // Only reached when writing the response itself failed; the client is likely gone.
      logger.error('API Gateway failed to answer a request', { error: describeError(error) });
      if (!response.headersSent) sendError(response, 500, 'InternalServerError', 'Internal server error');
      else response.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('API Gateway is not listening on a TCP port');
  const { port } = address;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets would otherwise hold `close` open until they time out.
        server.closeAllConnections();
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Routing

type Segment =
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'greedy'; readonly name: string };

interface Resource {
  readonly template: string;
  readonly id: string;
  readonly segments: readonly Segment[];
  readonly methods: Map<string, ApiRoute>;
}

function compileRoutes(routes: readonly ApiRoute[]): Resource[] {
  const resources = new Map<string, Resource>();
  for (const route of routes) {
    const template = route.path === '/' ? '/' : route.path.replace(/\/+$/, '');
    let resource = resources.get(template);
    if (resource === undefined) {
      resource = {
        template,
        // API Gateway names resources with short random ids; a hash keeps them stable across restarts.
        id: createHash('sha256').update(template).digest('hex').slice(0, 6),
        segments: parseTemplate(template),
        methods: new Map(),
      };
      resources.set(template, resource);
    }
    if (resource.methods.has(route.method)) {
      throw new Error(
        `Route ${route.method} ${template} is defined twice (functions ${route.functionName} and ${resource.methods.get(route.method)?.functionName})`,
      );
    }
    resource.methods.set(route.method, route);
  }
  return [...resources.values()];
}

function parseTemplate(template: string): Segment[] {
  if (!template.startsWith('/')) throw new Error(`Route path "${template}" must start with /`);
  const parts = template.split('/').filter((part) => part.length > 0);
  const names = new Set<string>();
  return parts.map((part, index) => {
    const variable = /^\{([A-Za-z_][A-Za-z0-9_]*)(\+?)\}$/.exec(part);
    if (variable === null) {
      if (/[{}]/.test(part))
        throw new Error(`Route path "${template}": "${part}" is neither a literal nor {name}`);
      return { kind: 'literal', value: part };
    }
    const [, name = '', greedy] = variable;
    if (names.has(name)) throw new Error(`Route path "${template}" uses {${name}} twice`);
    names.add(name);
    if (greedy === '+') {
      if (index !== parts.length - 1)
        throw new Error(`Route path "${template}": {${name}+} must be the last segment`);
      return { kind: 'greedy', name };
    }
    return { kind: 'param', name };
  });
}

interface RouteMatch {
  readonly resource: Resource;
  readonly pathParameters: Record<string, string>;
  /** Literal segments rank above variables, variables above greedy ones: API Gateway's precedence. */
  readonly rank: readonly number[];
}

function matchResource(resources: readonly Resource[], path: string): RouteMatch | undefined {
  const parts = path.split('/').filter((part) => part.length > 0);
  let best: RouteMatch | undefined;
  for (const resource of resources) {
    const match = matchSegments(resource, parts);
    if (match !== undefined && (best === undefined || compareRank(match.rank, best.rank) > 0)) best = match;
  }
  return best;
}

function matchSegments(resource: Resource, parts: readonly string[]): RouteMatch | undefined {
  const pathParameters: Record<string, string> = {};
  const rank: number[] = [];
  for (const [index, segment] of resource.segments.entries()) {
    if (segment.kind === 'greedy') {
      const rest = parts.slice(index);
      if (rest.length === 0) return undefined;
      pathParameters[segment.name] = rest.map(safeDecode).join('/');
      rank.push(0);
      return { resource, pathParameters, rank };
    }
    const part = parts[index];
    if (part === undefined) return undefined;
    if (segment.kind === 'literal') {
      if (safeDecode(part) !== segment.value) return undefined;
      rank.push(2);
    } else {
      pathParameters[segment.name] = safeDecode(part);
      rank.push(1);
    }
  }
  return parts.length === resource.segments.length ? { resource, pathParameters, rank } : undefined;
}

function compareRank(left: readonly number[], right: readonly number[]): number {
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    const difference = (left[index] ?? -1) - (right[index] ?? -1);
    if (difference !== 0) return difference;
  }
  return 0;
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

// ---------------------------------------------------------------------------------------------
// Authorization

type Authorization =
  | { readonly ok: true; readonly claims: Record<string, string> }
  | { readonly ok: false; readonly message: string };

type Authorizer = (authorizationHeader: string | undefined) => Authorization;

function makeAuthorizer(identity: ApiIdentity): Authorizer {
  const verifier = CognitoJwtVerifier.create({
    userPoolId: identity.userPoolId,
    tokenUse: 'id',
    clientId: identity.clientId,
  });
  // Without this the verifier would download the JWKS from cognito-idp.amazonaws.com.
  verifier.cacheJwks(identity.jwks());

  return (authorizationHeader) => {
    const token = bearerToken(authorizationHeader);
    if (token === undefined) {
      return {
        ok: false,
        message: 'Missing Authorization header: send "Authorization: Bearer <Cognito ID token>"',
      };
    }
    let unverified: Record<string, unknown>;
    try {
      unverified = decodeJwt(token);
    } catch {
      return {
        ok: false,
        message: 'The Authorization header does not hold a JWT (header.payload.signature)',
      };
    }
    // Checked before verifying: the verifier only says "issuer not configured", which hides the issuer.
    if (unverified.iss !== identity.issuer) {
      return {
        ok: false,
        message: `The token was issued by ${String(unverified.iss)}, but this API trusts ${identity.issuer}`,
      };
    }
    try {
      // Sync on purpose: the async variant fetches the JWKS from AWS when the kid is unknown.
      const payload: Record<string, unknown> = verifier.verifySync(token);
      return { ok: true, claims: authorizerClaims(payload) };
    } catch (error) {
      return { ok: false, message: tokenRefusal(error, unverified, identity) };
    }
  };
}

/** API Gateway's Cognito authorizer takes the raw token; clients usually send `Bearer <token>`. */
function bearerToken(header: string | undefined): string | undefined {
  const value = header?.trim() ?? '';
  const token = /^Bearer\s+(.*)$/i.exec(value)?.[1]?.trim() ?? value;
  return token.length > 0 ? token : undefined;
}

function tokenRefusal(error: unknown, payload: Record<string, unknown>, identity: ApiIdentity): string {
  if (error instanceof JwtExpiredError) {
    const expiredAt =
      typeof payload.exp === 'number' ? new Date(payload.exp * 1000).toISOString() : 'an unknown time';
    return `The token expired at ${expiredAt}; sign in again (or mint a new local token)`;
  }
  if (
    error instanceof JwtInvalidSignatureError ||
    error instanceof KidNotFoundInJwksError ||
    error instanceof JwtWithoutValidKidError
  ) {
    return (
      `The token's signature does not verify against the keys of user pool ${identity.userPoolId}: ` +
      'it was signed by another key (another user pool, or another local identity.json)'
    );
  }
  if (error instanceof CognitoJwtInvalidClientIdError) {
    return `The token was issued to app client ${JSON.stringify(payload.aud)}, but this API accepts app client "${identity.clientId}"`;
  }
  if (error instanceof JwtInvalidIssuerError) {
    return `The token was issued by ${String(payload.iss)}, but this API trusts ${identity.issuer}`;
  }
  if (error instanceof CognitoJwtInvalidTokenUseError) {
    return `The token has token_use ${JSON.stringify(payload.token_use)}; this API takes Cognito ID tokens (token_use "id")`;
  }
  if (error instanceof JwtNotBeforeError) return 'The token is not valid yet (its nbf is in the future)';
  if (error instanceof JwtInvalidSignatureAlgorithmError)
    return 'The token is not signed with RS256, as user pool tokens are';
  if (error instanceof JwtParseError) return 'The Authorization header does not hold a readable JWT';
  return `The token was refused: ${error instanceof Error ? error.message : String(error)}`;
}

/**
 * Claims as a REST API's Cognito user-pool authorizer hands them to Lambda in
 * `requestContext.authorizer.claims`: every value a string. Arrays are joined with commas
 * (`cognito:groups: ["admin","analyst"]` becomes `"admin,analyst"`; an HTTP API's JWT authorizer
 * would write `"[admin analyst]"` instead), booleans become `"true"`/`"false"`, `exp` and `iat`
 * become Java date strings (`"Tue Apr 04 18:39:39 UTC 2023"`) while `auth_time` stays epoch seconds.
 * Nested objects, which Cognito ID tokens do not carry, are rendered as JSON.
 */
export function authorizerClaims(payload: Readonly<Record<string, unknown>>): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (value === undefined || value === null) continue;
    if ((name === 'exp' || name === 'iat') && typeof value === 'number') claims[name] = javaDate(value);
    else if (Array.isArray(value)) claims[name] = value.map(scalarText).join(',');
    else claims[name] = scalarText(value);
  }
  return claims;
}

function scalarText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? '';
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `java.util.Date#toString` in UTC, which is what API Gateway prints for `exp` and `iat`. */
function javaDate(epochSeconds: number): string {
  const date = new Date(epochSeconds * 1000);
  const pad = (value: number) => String(value).padStart(2, '0');
  const time = `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
  return `${WEEKDAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${pad(date.getUTCDate())} ${time} UTC ${date.getUTCFullYear()}`;
}

// ---------------------------------------------------------------------------------------------
// Requests

interface RequestScope {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly resources: readonly Resource[];
  readonly authorizer: Authorizer;
  readonly stage: string;
  readonly logger: ApiGatewayLogger;
}

async function handleRequest(scope: RequestScope): Promise<void> {
  const { request, response, stage, logger } = scope;
  const requestId = randomUUID();
  const startedAt = Date.now();
  response.setHeader(REQUEST_ID_HEADER, requestId);
  response.on('finish', () => {
    logger.info('request', {
      requestId,
      method: request.method,
      path: request.url,
      status: response.statusCode,
      durationMs: Date.now() - startedAt,
    });
  });

  // Read first, even for requests about to be refused, so the client is never cut off mid-upload.
  const body = await readBody(request);
  if (body === 'too-large') {
    return sendError(response, 413, 'PayloadTooLarge', `The request body exceeds ${MAX_BODY_BYTES} bytes`);
  }

  const url = new URL(request.url ?? '/', 'http://localhost');
  const path = url.pathname;
  const method = request.method ?? 'GET';
  const match = matchResource(scope.resources, path);
  if (match === undefined) {
    return sendError(response, 404, 'NotFound', `No route for ${method} ${path}`);
  }
  const route = match.resource.methods.get(method) ?? match.resource.methods.get('ANY');
  if (route === undefined) {
    const allowed = [...match.resource.methods.keys()];
    response.setHeader('Allow', allowed.join(', '));
    return sendError(
      response,
      405,
      'MethodNotAllowed',
      `${match.resource.template} does not support ${method}; it supports ${allowed.join(', ')}`,
    );
  }

  let claims: Record<string, string> | undefined;
  if ((route.authorization ?? 'cognito') === 'cognito') {
    const authorization = scope.authorizer(headerValue(request, 'authorization'));
    if (!authorization.ok) {
      response.setHeader('WWW-Authenticate', 'Bearer');
      return sendError(response, 401, 'Unauthorized', authorization.message, 'UnauthorizedException');
    }
    claims = authorization.claims;
  }

  const event = proxyEvent({ request, url, path, stage, requestId, match, body, claims });
  let returned: unknown;
  try {
    returned = await route.handler(event, lambdaContext(route.functionName));
  } catch (error) {
    // As API Gateway does for a Lambda error: the caller learns nothing, the log learns everything.
    logger.error('Lambda function failed', {
      requestId,
      functionName: route.functionName,
      error: describeError(error),
    });
    return sendError(response, 502, 'InternalServerError', 'Internal server error');
  }

  const parsed = ProxyResult.safeParse(returned);
  let headers: Map<string, string | string[]> | undefined;
  let problem: string | undefined;
  if (parsed.success) {
    try {
      headers = proxyResponseHeaders(parsed.data);
    } catch (error) {
      problem = error instanceof Error ? error.message : String(error);
    }
  } else {
    problem = z.prettifyError(parsed.error);
  }
  if (!parsed.success || headers === undefined) {
    logger.error('Malformed Lambda proxy response', { requestId, functionName: route.functionName, problem });
    return sendError(response, 502, 'InternalServerError', 'Internal server error');
  }
  writeProxyResult(response, parsed.data, headers);
}

async function readBody(request: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    // Keep draining past the limit but stop buffering, so memory stays bounded.
    if (size <= MAX_BODY_BYTES) chunks.push(buffer);
  }
  return size > MAX_BODY_BYTES ? 'too-large' : Buffer.concat(chunks);
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[value.length - 1] : value;
}

interface EventInput {
  readonly request: IncomingMessage;
  readonly url: URL;
  readonly path: string;
  readonly stage: string;
  readonly requestId: string;
  readonly match: RouteMatch;
  readonly body: Buffer;
  readonly claims: Record<string, string> | undefined;
}

function proxyEvent(input: EventInput): APIGatewayProxyEvent {
  const { request, url, path, stage, requestId, match, claims } = input;
  const sourceIp = (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  const { headers, multiValueHeaders } = eventHeaders(request, sourceIp);
  const { single: queryStringParameters, multi: multiValueQueryStringParameters } = queryParameters(url);
  const now = new Date();
  const method = request.method ?? 'GET';
  return {
    resource: match.resource.template,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters,
    multiValueQueryStringParameters,
    pathParameters: Object.keys(match.pathParameters).length > 0 ? { ...match.pathParameters } : null,
    stageVariables: null,
    // No binary media types are configured, so bodies travel as UTF-8 text, as in such an API.
    body: input.body.length > 0 ? input.body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: LOCAL_API_ID,
      authorizer: claims === undefined ? undefined : { claims },
      domainName: headerValue(request, 'host') ?? 'localhost',
      domainPrefix: LOCAL_API_ID,
      extendedRequestId: requestId,
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp,
        user: null,
        userAgent: headerValue(request, 'user-agent') ?? null,
        userArn: null,
      },
      path: `/${stage}${path}`,
      protocol: `HTTP/${request.httpVersion}`,
      requestId,
      requestTime: clfTime(now),
      requestTimeEpoch: now.getTime(),
      resourceId: match.resource.id,
      resourcePath: match.resource.template,
      stage,
    },
  };
}

/**
 * Header names keep the client's spelling (API Gateway does not lower-case them in v1 events);
 * `headers` holds the last value of a repeated header and `multiValueHeaders` all of them.
 */
function eventHeaders(request: IncomingMessage, sourceIp: string) {
  const multiValueHeaders: Record<string, string[]> = {};
  const raw = request.rawHeaders;
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const name = raw[index] ?? '';
    const existing = Object.keys(multiValueHeaders).find((key) => key.toLowerCase() === name.toLowerCase());
    const values = multiValueHeaders[existing ?? name] ?? [];
    values.push(raw[index + 1] ?? '');
    multiValueHeaders[existing ?? name] = values;
  }
  // API Gateway's edge adds these; handlers that log the client address read them.
  const forwarded: Record<string, string> = {
    'X-Forwarded-For': sourceIp,
    'X-Forwarded-Port': String(request.socket.localPort ?? ''),
    'X-Forwarded-Proto': 'http',
  };
  for (const [name, value] of Object.entries(forwarded)) {
    const present = Object.keys(multiValueHeaders).some((key) => key.toLowerCase() === name.toLowerCase());
    if (!present) multiValueHeaders[name] = [value];
  }
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(multiValueHeaders)) {
    const last = values[values.length - 1];
    if (last !== undefined) headers[name] = last;
  }
  return { headers, multiValueHeaders };
}

/** As in REST API events: the last value of a repeated key in the single map, all in the multi map, null when none. */
function queryParameters(url: URL) {
  const multi: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    const values = multi[name] ?? [];
    values.push(value);
    multi[name] = values;
  }
  if (Object.keys(multi).length === 0) return { single: null, multi: null };
  const single: Record<string, string> = {};
  for (const [name, values] of Object.entries(multi)) {
    const last = values[values.length - 1];
    if (last !== undefined) single[name] = last;
  }
  return { single, multi };
}

/** `requestContext.requestTime` uses the Common Log Format: `26/Nov/2025:10:04:00 +0000`. */
function clfTime(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

// ---------------------------------------------------------------------------------------------
// Responses

const HeaderScalar = z.union([z.string(), z.number(), z.boolean()]);
const ProxyResult = z.object({
  statusCode: z.number().int().min(100).max(599),
  headers: z.record(z.string(), HeaderScalar).optional(),
  multiValueHeaders: z.record(z.string(), z.array(HeaderScalar)).optional(),
  // API Gateway tolerates a missing body and answers with an empty one.
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
});
type ProxyResult = z.infer<typeof ProxyResult>;

/** Node computes these itself; a handler's copy could contradict the bytes actually sent. */
const HOP_BY_HOP = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);

/**
 * The headers to send, validated up front: Node throws on a bad name or value, and that must
 * become the 502 API Gateway gives for a malformed proxy response, not a half-written reply.
 */
function proxyResponseHeaders(result: ProxyResult): Map<string, string | string[]> {
  const merged = new Map<string, { name: string; values: string[] }>();
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    merged.set(name.toLowerCase(), { name, values: [String(value)] });
  }
  // API Gateway's rule: for a header in both maps, the multi-value one wins.
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    merged.set(name.toLowerCase(), { name, values: values.map(String) });
  }
  const headers = new Map<string, string | string[]>();
  for (const [key, { name, values }] of merged) {
    if (HOP_BY_HOP.has(key)) continue;
    validateHeaderName(name);
    for (const value of values) validateHeaderValue(name, value);
    headers.set(name, values.length === 1 ? (values[0] ?? '') : values);
  }
  if (!merged.has('content-type')) headers.set('Content-Type', 'application/json');
  return headers;
}

function writeProxyResult(
  response: ServerResponse,
  result: ProxyResult,
  headers: ReadonlyMap<string, string | string[]>,
): void {
  for (const [name, value] of headers) response.setHeader(name, value);
  const body = result.body ?? '';
  response.statusCode = result.statusCode;
  response.end(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
}

function sendError(
  response: ServerResponse,
  statusCode: number,
  code: string,
  message: string,
  errorType = code,
): void {
  response.statusCode = statusCode;
  response.setHeader('Content-Type', 'application/json');
  // API Gateway marks its own errors this way, so a client can tell them from the function's.
  response.setHeader('x-amzn-ErrorType', errorType);
  response.end(JSON.stringify({ code, message }));
}

function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { value: String(error) };
}

const jsonLinesLogger: ApiGatewayLogger = {
  info: (message, details) => {
    process.stdout.write(
      `${JSON.stringify({ level: 'INFO', source: 'api-gateway', message, ...details })}\n`,
    );
  },
  error: (message, details) => {
    process.stderr.write(
      `${JSON.stringify({ level: 'ERROR', source: 'api-gateway', message, ...details })}\n`,
    );
  },
};
