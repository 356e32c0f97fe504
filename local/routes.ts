import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { callerOf } from '../functions/shared/caller.js';
import { ChurnRadarError } from '../functions/shared/errors.js';
import type { ApiRoute } from './cloud/api-gateway.js';

/**
 * Who the API thinks the caller is: a local diagnostic (not deployed) that shows the
 * verified claims and the role derived from them, for checking a token by hand.
 */
async function whoAmI(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  try {
    const caller = callerOf(event);
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ caller, claims: event.requestContext.authorizer?.claims ?? {} }),
    };
  } catch (error) {
    if (!(error instanceof ChurnRadarError)) throw error;
    return {
      statusCode: error.statusCode,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: error.code, message: error.message }),
    };
  }
}

type ApiHandler = ApiRoute['handler'];

/** The product's handlers, loaded by the platform once their environment is set (as Lambda does). */
export interface ProductHandlers {
  readonly ingestEvents: ApiHandler;
}

/** Loads the real handler modules; call after the local cloud's variables are in process.env. */
export async function loadProductHandlers(): Promise<ProductHandlers> {
  const ingest = (await import('../functions/ingest-events/handler.js')) as { handler: unknown };
  return { ingestEvents: ingest.handler as ApiHandler };
}

/** The routes the local API serves: the product's API (as in infra/stacks/api-stack.ts), plus local diagnostics. */
export function localRoutes(handlers: ProductHandlers): ApiRoute[] {
  return [
    { method: 'POST', path: '/v1/events', functionName: 'ingest-events', handler: handlers.ingestEvents },
    { method: 'GET', path: '/local/whoami', functionName: 'local-whoami', handler: whoAmI },
  ];
}
