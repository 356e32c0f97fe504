import { randomUUID } from 'node:crypto';
import { DeleteItemCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { featureTable, lakehouseBucket } from '../../infra/resources.js';
import { runStateMachine } from '../cloud/step-functions.js';
import type { LocalPlatform } from '../platform.js';

/** One round trip through one service: what was checked, and whether it came back as sent. */
export interface SmokeCheck {
  readonly service: string;
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly ms: number;
}

const SMOKE_DEFINITION = new URL('./smoke.asl.json', import.meta.url).pathname;

function nameOf(names: Readonly<Record<string, string>>, id: string): string {
  const name = names[id];
  if (!name) throw new Error(`the local cloud has no resource ${id}`);
  return name;
}

async function timed(service: string, check: string, run: () => Promise<{ ok: boolean; detail: string }>) {
  const started = performance.now();
  try {
    const { ok, detail } = await run();
    return { service, check, ok, detail, ms: performance.now() - started };
  } catch (error) {
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { service, check, ok: false, detail, ms: performance.now() - started };
  }
}

/** DynamoDB: an item written to the feature table reads back equal, then is removed. */
async function dynamoRoundTrip(platform: LocalPlatform): Promise<{ ok: boolean; detail: string }> {
  const { dynamodb } = platform.cloud.clients;
  const tableName = nameOf(platform.cloud.names.tables, featureTable.id);
  const key = { pk: { S: `smoke#${randomUUID()}` }, sk: { S: 'features' } };
  await dynamodb.send(
    new PutItemCommand({ TableName: tableName, Item: { ...key, sessions_7d: { N: '12' } } }),
  );
  const got = await dynamodb.send(
    new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
  );
  await dynamodb.send(new DeleteItemCommand({ TableName: tableName, Key: key }));
  const ok = got.Item?.sessions_7d?.N === '12';
  return { ok, detail: ok ? `put, get and delete on ${tableName}` : `read back ${JSON.stringify(got.Item)}` };
}

/** S3: an object written to the lakehouse reads back byte for byte, then is removed. */
async function s3RoundTrip(platform: LocalPlatform): Promise<{ ok: boolean; detail: string }> {
  const { s3 } = platform.cloud.clients;
  const bucket = nameOf(platform.cloud.names.buckets, lakehouseBucket.id);
  const key = `smoke/${randomUUID()}.json`;
  const body = JSON.stringify({ hello: 'lakehouse', at: new Date().toISOString() });
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }),
  );
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const text = await got.Body?.transformToString();
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  return { ok: text === body, detail: `${body.length} bytes to s3://${bucket}/${key} and back` };
}

/** Step Functions: a Map of Lambda invocations (one retried), a Parallel and a Choice run to the expected output. */
async function stepFunctionsRoundTrip(): Promise<{ ok: boolean; detail: string }> {
  let failedOnce = false;
  const values = [1, 2, 3, 4, 5];
  const result = await runStateMachine({
    definitionFile: SMOKE_DEFINITION,
    substitutions: {
      DoubleFunctionArn: 'arn:aws:lambda:local:000000000000:function:smoke-double',
      SumFunctionArn: 'arn:aws:lambda:local:000000000000:function:smoke-sum',
    },
    functions: {
      'smoke-double': async (event: { value: number }) => {
        if (event.value === 3 && !failedOnce) {
          failedOnce = true;
          throw Object.assign(new Error('first attempt fails on purpose'), { name: 'TransientError' });
        }
        return event.value * 2;
      },
      'smoke-sum': async (event: { values: number[] }) => ({ sum: event.values.reduce((a, b) => a + b, 0) }),
    },
    input: { values },
    retryIntervalOverrides: 0,
  });
  const output = result.output as { sum?: number; count?: number } | undefined;
  const ok =
    result.status === 'SUCCEEDED' && output?.sum === 30 && output.count === values.length && failedOnce;
  return {
    ok,
    detail: ok
      ? `${Object.keys(result.stateDurations).length} states, 1 retried task, output ${JSON.stringify(output)}`
      : `${result.status} ${result.error ?? ''} ${JSON.stringify(output)}`,
  };
}

/** API Gateway + Cognito: a signed token is accepted and its claims reach the handler; no token is a 401. */
async function apiRoundTrip(platform: LocalPlatform): Promise<{ ok: boolean; detail: string }> {
  const token = await platform.identity.signToken({ role: 'manager', managerId: 'm-smoke' });
  const url = `${platform.api.url}/local/whoami`;
  const withToken = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const body = (await withToken.json()) as { caller?: { role?: string; managerId?: string } };
  const withoutToken = await fetch(url);
  const ok =
    withToken.status === 200 &&
    body.caller?.role === 'manager' &&
    body.caller.managerId === 'm-smoke' &&
    withoutToken.status === 401;
  return {
    ok,
    detail: `signed token -> ${withToken.status} (${body.caller?.role ?? '?'}), no token -> ${withoutToken.status}`,
  };
}

/**
 * One round trip per service the ingestion pipeline does not already exercise end to end;
 * every check runs even when an earlier one fails.
 */
export async function runSmokeChecks(
  platform: LocalPlatform,
  log: (line: string) => void,
): Promise<SmokeCheck[]> {
  const checks: SmokeCheck[] = [];
  const steps: [string, string, () => Promise<{ ok: boolean; detail: string }>][] = [
    ['DynamoDB', 'feature table put/get', () => dynamoRoundTrip(platform)],
    ['S3', 'lakehouse put/get', () => s3RoundTrip(platform)],
    ['Step Functions', 'Map + Parallel + Choice + Retry', () => stepFunctionsRoundTrip()],
    ['API Gateway', 'Cognito JWT verified, claims passed on', () => apiRoundTrip(platform)],
  ];
  for (const [service, check, run] of steps) {
    log(`checking ${service}: ${check}`);
    checks.push(await timed(service, check, run));
  }
  return checks;
}
