import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { ChurnRadarError } from './errors.js';

export function jsonResponse(statusCode: number, body: unknown): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify(body),
  };
}

interface Issue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

function isIssueList(value: unknown): value is Issue[] {
  return (
    Array.isArray(value) &&
    value.every(
      (issue) => typeof issue === 'object' && issue !== null && 'path' in issue && 'message' in issue,
    )
  );
}

/** `body.events[3].ts: expected ISO 8601 UTC timestamp`: where the request broke which rule. */
export function describeIssues(issues: readonly Issue[]): string {
  return issues
    .slice(0, 10)
    .map((issue) => {
      const path = issue.path
        .map((part, index) =>
          typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`,
        )
        .join('');
      return `${path || 'request'}: ${issue.message}`;
    })
    .join('; ');
}

/**
 * Turns every error into the API's JSON shape `{ code, message }`: our errors keep their status and
 * message, schema failures (Powertools parser) become 400s that name the field, and anything else
 * is a 500 whose details stay in the logs.
 */
export function httpErrors(log: (error: unknown) => void): MiddlewareObj<unknown, APIGatewayProxyResult> {
  return {
    onError: async (request) => {
      const { error } = request;
      if (error instanceof ChurnRadarError) {
        request.response = jsonResponse(error.statusCode, { code: error.code, message: error.message });
        return;
      }
      // Powertools' ParseError carries the zod issues as its cause (an array, or a ZodError).
      const cause: unknown = error?.cause;
      const issues = isIssueList(cause) ? cause : (cause as { issues?: unknown } | undefined)?.issues;
      if (error?.name === 'ParseError') {
        // A body that is not JSON at all fails before the schema, with no issues to name.
        const message = isIssueList(issues)
          ? describeIssues(issues)
          : `request could not be read: ${cause instanceof Error ? cause.message : 'unknown reason'}`;
        request.response = jsonResponse(400, { code: 'ValidationError', message });
        return;
      }
      log(error);
      request.response = jsonResponse(500, {
        code: 'InternalError',
        message: 'The request could not be completed; it has been logged. Try again later.',
      });
    },
  };
}
