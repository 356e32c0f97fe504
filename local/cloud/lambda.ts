import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** A Lambda handler as the local cloud invokes it: the same signature AWS uses. */
export type LocalHandler<TEvent = unknown, TResult = unknown> = (
  event: TEvent,
  context: Context,
) => Promise<TResult>;

/** A Lambda context shaped like the one AWS passes, so Powertools and middy behave as in the cloud. */
export function lambdaContext(functionName: string, timeoutMs = 900_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Invokes a handler the way the Lambda service does: a fresh context per call. */
export function invoke<TEvent, TResult>(
  functionName: string,
  handler: LocalHandler<TEvent, TResult>,
  event: TEvent,
): Promise<TResult> {
  return handler(event, lambdaContext(functionName));
}
