import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { callerOf } from '../../functions/shared/caller.js';
import {
  type ApiGatewayLogger,
  type ApiRoute,
  REQUEST_ID_HEADER,
  type RunningApi,
  startApiGateway,
} from '../../local/cloud/api-gateway.js';
import { IDENTITY_FILE, LocalIdentity } from '../../local/cloud/identity.js';

interface Invocation {
  readonly functionName: string;
  readonly event: APIGatewayProxyEvent;
  readonly context: Context;
}

function caseless<T>(map: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.entries(map).find(([key]) => key.toLowerCase() === name)?.[1];
}

const SECRET = 'password=hunter2 at db.internal:5432';

describe('local API Gateway with the Cognito authorizer', () => {
  let dir: string;
  let identity: LocalIdentity;
  let api: RunningApi;
  let invocations: Invocation[];
  const logger = { info: vi.fn(), error: vi.fn() } satisfies ApiGatewayLogger;

  function recording(functionName: string, result?: Partial<APIGatewayProxyResult>): ApiRoute['handler'] {
    return async (event, context) => {
      invocations.push({ functionName, event, context });
      return { statusCode: 200, body: JSON.stringify({ functionName }), ...result };
    };
  }

  const routes: ApiRoute[] = [
    {
      method: 'GET',
      path: '/v1/customers',
      functionName: 'list-customers',
      handler: recording('list-customers'),
    },
    {
      method: 'GET',
      path: '/v1/customers/{id}',
      functionName: 'get-customer',
      handler: recording('get-customer'),
    },
    {
      method: 'GET',
      path: '/v1/customers/export',
      functionName: 'export-customers',
      handler: recording('export-customers'),
    },
    {
      method: 'POST',
      path: '/v1/score',
      functionName: 'score',
      handler: recording('score', {
        statusCode: 201,
        headers: { 'Content-Type': 'application/json', 'X-Model-Version': 'v7' },
        multiValueHeaders: { 'X-Reason': ['payment_failed', 'low_activity'] },
      }),
    },
    {
      method: 'GET',
      path: '/v1/boom',
      functionName: 'boom',
      handler: async () => {
        throw new Error(`connection refused: ${SECRET}`);
      },
    },
    {
      method: 'GET',
      path: '/v1/malformed',
      functionName: 'malformed',
      handler: async () => JSON.parse('{"body":"no status code"}'),
    },
    {
      method: 'GET',
      path: '/health',
      functionName: 'health',
      handler: recording('health'),
      authorization: 'none',
    },
  ];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'churn-identity-'));
    identity = await LocalIdentity.load({ dir });
    api = await startApiGateway({ routes, identity, logger });
  });

  afterAll(async () => {
    await api.stop();
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    invocations = [];
    logger.info.mockClear();
    logger.error.mockClear();
  });

  function call(path: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (init.token !== undefined) headers.set('Authorization', `Bearer ${init.token}`);
    return fetch(`${api.url}${path}`, { ...init, headers });
  }

  function onlyInvocation(): Invocation {
    expect(invocations).toHaveLength(1);
    const [invocation] = invocations;
    if (invocation === undefined) throw new Error('no invocation');
    return invocation;
  }

  describe('tokens', () => {
    it('mints a Cognito-shaped ID token whose kid is in the JWKS', async () => {
      const token = await identity.signToken({ role: 'manager', managerId: 'm-7', email: 'ann@example.com' });

      const header = decodeProtectedHeader(token);
      const payload = decodeJwt(token);
      expect(header).toEqual({ alg: 'RS256', kid: identity.kid });
      expect(identity.jwks().keys.map((key) => key.kid)).toEqual([identity.kid]);
      expect(identity.issuer).toBe('https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_local');
      expect(payload).toMatchObject({
        'cognito:groups': ['manager'],
        'custom:manager_id': 'm-7',
        'cognito:username': 'manager-m-7',
        email: 'ann@example.com',
        token_use: 'id',
        aud: identity.clientId,
        iss: identity.issuer,
      });
      expect(payload.sub).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(payload.auth_time).toBe(payload.iat);
      expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3600);
    });

    it('refuses to sign a manager token without a manager id', async () => {
      await expect(identity.signToken({ role: 'manager' })).rejects.toThrow(/manager token needs managerId/);
    });

    it('refuses an unknown role, as the CLI could pass one', async () => {
      const role = 'superuser' as unknown as 'admin';

      await expect(identity.signToken({ role })).rejects.toThrow(
        /role must be one of admin, analyst, manager/,
      );
    });

    it('refuses a pool id that is not Cognito-shaped, and a region that contradicts it', async () => {
      await expect(LocalIdentity.load({ userPoolId: 'local-pool' })).rejects.toThrow(
        /not a Cognito user pool id/,
      );
      await expect(LocalIdentity.load({ region: 'us-east-1', userPoolId: 'eu-west-1_x' })).rejects.toThrow(
        /belongs to region eu-west-1, not us-east-1/,
      );
    });
  });

  describe('authorized requests', () => {
    it.each([
      ['admin', {}, 'admin'],
      ['analyst', {}, 'analyst'],
      ['manager', { managerId: 'm-42' }, 'manager'],
    ] as const)('passes a %s token and hands the handler the claims', async (role, extra, expectedRole) => {
      const token = await identity.signToken({ role, sub: `user-${role}`, ...extra });

      const response = await call('/v1/customers/c-123?limit=10&segment=a&segment=b', { token });

      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ functionName: 'get-customer' });
      const { event, context, functionName } = onlyInvocation();
      expect(functionName).toBe('get-customer');
      expect(context.functionName).toBe('get-customer');
      expect(event.resource).toBe('/v1/customers/{id}');
      expect(event.path).toBe('/v1/customers/c-123');
      expect(event.httpMethod).toBe('GET');
      expect(event.pathParameters).toEqual({ id: 'c-123' });
      expect(event.queryStringParameters).toEqual({ limit: '10', segment: 'b' });
      expect(event.multiValueQueryStringParameters).toEqual({ limit: ['10'], segment: ['a', 'b'] });
      expect(event.body).toBeNull();
      expect(event.isBase64Encoded).toBe(false);
      expect(event.stageVariables).toBeNull();
      expect(event.requestContext).toMatchObject({
        stage: 'local',
        path: '/local/v1/customers/c-123',
        resourcePath: '/v1/customers/{id}',
        httpMethod: 'GET',
        accountId: '000000000000',
      });
      expect(event.requestContext.identity.sourceIp).toBe('127.0.0.1');
      expect(response.headers.get(REQUEST_ID_HEADER)).toBe(event.requestContext.requestId);

      const claims: Record<string, unknown> = event.requestContext.authorizer?.claims ?? {};
      expect(claims).toMatchObject({
        sub: `user-${role}`,
        'cognito:groups': role,
        'cognito:username': role === 'manager' ? 'manager-m-42' : `local-${role}`,
        token_use: 'id',
        aud: identity.clientId,
        iss: identity.issuer,
      });
      expect(Object.values(claims).every((value) => typeof value === 'string')).toBe(true);
      expect(callerOf(event)).toEqual({
        userId: `user-${role}`,
        role: expectedRole,
        groups: [role],
        ...('managerId' in extra ? { managerId: extra.managerId } : {}),
      });
    });

    it('renders claims as a REST API Cognito authorizer does: strings, arrays comma-joined, Java dates', async () => {
      const token = await identity.signToken({ role: 'manager', managerId: 'm-1', extraGroups: ['analyst'] });

      await call('/v1/customers', { token });

      const claims = onlyInvocation().event.requestContext.authorizer?.claims;
      expect(claims['cognito:groups']).toBe('manager,analyst');
      expect(claims['custom:manager_id']).toBe('m-1');
      expect(claims.auth_time).toMatch(/^\d{10}$/);
      expect(claims.exp).toMatch(
        /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}$/,
      );
      expect(new Date(claims.exp.replace(' UTC ', ' ')).getTime()).toBe(
        Number(claims.auth_time) * 1000 + 3_600_000,
      );
      expect(callerOf(onlyInvocation().event).role).toBe('analyst');
    });

    it('accepts the raw token without "Bearer", as the Cognito authorizer does', async () => {
      const token = await identity.signToken({ role: 'admin' });

      const response = await call('/v1/customers', { headers: { Authorization: token } });

      expect(response.status).toBe(200);
      expect(onlyInvocation().event.queryStringParameters).toBeNull();
      expect(onlyInvocation().event.pathParameters).toBeNull();
    });

    it('passes the body as a string and writes the proxy result back', async () => {
      const token = await identity.signToken({ role: 'analyst' });
      const body = JSON.stringify({ customerId: 'c-9', note: 'naïve ✓' });

      const response = await call('/v1/score', {
        method: 'POST',
        token,
        headers: { 'Content-Type': 'application/json', 'X-Trace': 'one' },
        body,
      });

      expect(response.status).toBe(201);
      expect(response.headers.get('x-model-version')).toBe('v7');
      expect(response.headers.get('x-reason')).toBe('payment_failed, low_activity');
      const { event } = onlyInvocation();
      expect(event.body).toBe(body);
      expect(event.resource).toBe('/v1/score');
      // Header names keep the client's spelling, as in REST API events, so look them up without case.
      expect(caseless(event.headers, 'content-type')).toBe('application/json');
      expect(caseless(event.multiValueHeaders, 'x-trace')).toEqual(['one']);
      expect(event.headers['X-Forwarded-For']).toBe('127.0.0.1');
    });

    it('prefers a literal segment over a path parameter', async () => {
      const token = await identity.signToken({ role: 'admin' });

      await call('/v1/customers/export', { token });

      expect(onlyInvocation()).toMatchObject({
        functionName: 'export-customers',
        event: { pathParameters: null },
      });
    });

    it('decodes path parameters', async () => {
      const token = await identity.signToken({ role: 'admin' });

      await call('/v1/customers/c%2F1%20x', { token });

      expect(onlyInvocation().event.pathParameters).toEqual({ id: 'c/1 x' });
    });

    it('serves a route without authorization to anyone, with no authorizer context', async () => {
      const response = await call('/health');

      expect(response.status).toBe(200);
      expect(onlyInvocation().event.requestContext.authorizer).toBeUndefined();
    });
  });

  describe('refused tokens', () => {
    async function refusal(response: Response): Promise<{ status: number; body: unknown }> {
      return { status: response.status, body: await response.json() };
    }

    it('answers 401 without a token', async () => {
      const response = await call('/v1/customers');

      expect(await refusal(response)).toEqual({
        status: 401,
        body: {
          code: 'Unauthorized',
          message: 'Missing Authorization header: send "Authorization: Bearer <Cognito ID token>"',
        },
      });
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(response.headers.get(REQUEST_ID_HEADER)).toMatch(/^[0-9a-f-]{36}$/);
      expect(invocations).toHaveLength(0);
    });

    it('answers 401 for an expired token, saying so', async () => {
      const token = await identity.signToken({ role: 'admin', expiresInSeconds: -60 });

      const { status, body } = await refusal(await call('/v1/customers', { token }));

      expect(status).toBe(401);
      expect(body).toMatchObject({
        code: 'Unauthorized',
        message: expect.stringMatching(/^The token expired at \d{4}-/),
      });
      expect(invocations).toHaveLength(0);
    });

    it('answers 401 for a token signed by another key', async () => {
      const stranger = await LocalIdentity.load();
      expect(stranger.issuer).toBe(identity.issuer);
      const token = await stranger.signToken({ role: 'admin' });

      const { status, body } = await refusal(await call('/v1/customers', { token }));

      expect(status).toBe(401);
      expect(body).toMatchObject({
        code: 'Unauthorized',
        message: expect.stringContaining(
          'signature does not verify against the keys of user pool eu-west-1_local',
        ),
      });
      expect(invocations).toHaveLength(0);
    });

    it('answers 401 for a token issued to another app client', async () => {
      const otherClient = await LocalIdentity.load({ dir, clientId: 'crm-client' });
      const token = await otherClient.signToken({ role: 'admin' });

      const { status, body } = await refusal(await call('/v1/customers', { token }));

      expect(status).toBe(401);
      expect(body).toEqual({
        code: 'Unauthorized',
        message:
          'The token was issued to app client "crm-client", but this API accepts app client "churn-radar-local"',
      });
    });

    it('answers 401 for a token from another user pool', async () => {
      const otherPool = await LocalIdentity.load({ dir, userPoolId: 'eu-west-1_other' });
      const token = await otherPool.signToken({ role: 'admin' });

      const { status, body } = await refusal(await call('/v1/customers', { token }));

      expect(status).toBe(401);
      expect(body).toEqual({
        code: 'Unauthorized',
        message:
          'The token was issued by https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_other, ' +
          'but this API trusts https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_local',
      });
    });

    it.each(['not-a-jwt', 'a.b.c', 'Bearer'])('answers 401 for garbage: %s', async (garbage) => {
      const { status, body } = await refusal(
        await call('/v1/customers', { headers: { Authorization: garbage } }),
      );

      expect(status).toBe(401);
      expect(body).toMatchObject({ code: 'Unauthorized' });
      expect((body as { message: string }).message).toMatch(
        /does not hold a JWT|Missing Authorization header/,
      );
      expect(invocations).toHaveLength(0);
    });
  });

  describe('gateway errors', () => {
    it('answers 404 with a JSON body for an unknown path', async () => {
      const token = await identity.signToken({ role: 'admin' });
      const response = await call('/v2/nothing', { token });

      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ code: 'NotFound', message: 'No route for GET /v2/nothing' });
    });

    it('answers 405 for a known path with the wrong method, listing the allowed ones', async () => {
      const response = await call('/v1/score', { method: 'DELETE' });

      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
      expect(await response.json()).toMatchObject({ code: 'MethodNotAllowed' });
    });

    it('answers 502 when the handler throws, leaking nothing, and logs the error', async () => {
      const token = await identity.signToken({ role: 'admin' });

      const response = await call('/v1/boom', { token });
      const text = await response.text();

      expect(response.status).toBe(502);
      expect(JSON.parse(text)).toEqual({ code: 'InternalServerError', message: 'Internal server error' });
      expect(text).not.toContain('hunter2');
      expect(logger.error).toHaveBeenCalledTimes(1);
      expect(logger.error.mock.calls[0]?.[0]).toBe('Lambda function failed');
      expect(logger.error.mock.calls[0]?.[1]).toMatchObject({
        functionName: 'boom',
        requestId: response.headers.get(REQUEST_ID_HEADER),
        error: { message: `connection refused: ${SECRET}` },
      });
    });

    it('answers 502 for a malformed proxy result', async () => {
      const token = await identity.signToken({ role: 'admin' });

      const response = await call('/v1/malformed', { token });

      expect(response.status).toBe(502);
      expect(await response.json()).toEqual({
        code: 'InternalServerError',
        message: 'Internal server error',
      });
      expect(logger.error.mock.calls[0]?.[0]).toBe('Malformed Lambda proxy response');
    });

    it('answers 413 for a body over 10 MB without invoking the handler', async () => {
      const token = await identity.signToken({ role: 'admin' });

      const response = await call('/v1/score', {
        method: 'POST',
        token,
        body: 'x'.repeat(10 * 1024 * 1024 + 1),
      });

      expect(response.status).toBe(413);
      expect(await response.json()).toMatchObject({ code: 'PayloadTooLarge' });
      expect(invocations).toHaveLength(0);
    });
  });

  describe('persistence', () => {
    it('accepts a token minted by another identity loaded from the same folder', async () => {
      const folder = await mkdtemp(join(tmpdir(), 'churn-identity-'));
      try {
        const minting = await LocalIdentity.load({ dir: folder });
        const token = await minting.signToken({ role: 'analyst', sub: 'u-persisted' });
        expect(existsSync(join(folder, IDENTITY_FILE))).toBe(true);

        const serving = await LocalIdentity.load({ dir: folder });
        const gateway = await startApiGateway({ routes, identity: serving, logger });
        try {
          const response = await fetch(`${gateway.url}/v1/customers`, {
            headers: { Authorization: `Bearer ${token}` },
          });

          expect(serving.kid).toBe(minting.kid);
          expect(response.status).toBe(200);
          expect(onlyInvocation().event.requestContext.authorizer?.claims.sub).toBe('u-persisted');
        } finally {
          await gateway.stop();
        }
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    });

    it('creates one key when two loaders race on an empty folder', async () => {
      const folder = await mkdtemp(join(tmpdir(), 'churn-identity-'));
      try {
        const loaded = await Promise.all([1, 2, 3].map(() => LocalIdentity.load({ dir: folder })));

        expect(new Set(loaded.map((loadedIdentity) => loadedIdentity.kid)).size).toBe(1);
        expect((await stat(join(folder, IDENTITY_FILE))).mode & 0o777).toBe(0o600);
        expect((await readdir(folder)).sort()).toEqual([IDENTITY_FILE]);
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    });

    it('gives in-memory identities keys of their own', async () => {
      const [first, second] = await Promise.all([LocalIdentity.load(), LocalIdentity.load()]);

      expect(first.kid).not.toBe(second.kid);
    });
  });
});
