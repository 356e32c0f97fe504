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

/** The routes the local API serves: the product's API, plus local diagnostics. */
export function localRoutes(): ApiRoute[] {
  return [{ method: 'GET', path: '/local/whoami', functionName: 'local-whoami', handler: whoAmI }];
}
