import { describe, expect, it } from 'vitest';
import { callerOf, type EventWithAuthorizer, parseCognitoGroups } from '../../../functions/shared/caller.js';
import {
  ChurnRadarError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
} from '../../../functions/shared/errors.js';

/** A REST API event as the Cognito authorizer leaves it: claims under requestContext.authorizer. */
function restEvent(claims: Record<string, unknown>): EventWithAuthorizer {
  return { requestContext: { authorizer: { claims } } };
}

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the action to throw');
}

describe('parseCognitoGroups', () => {
  it.each([
    ['comma-separated, as a REST API renders arrays', 'admin,analyst', ['admin', 'analyst']],
    ['comma-separated with spaces', ' analyst , manager ', ['analyst', 'manager']],
    [
      'bracketed and space-separated, as an HTTP API renders arrays',
      '[manager analyst]',
      ['manager', 'analyst'],
    ],
    ['a JSON array', '["analyst","manager"]', ['analyst', 'manager']],
    ['a single group', 'manager', ['manager']],
    ['a bracketed single group', '[admin]', ['admin']],
    ['an empty string', '', []],
    ['an empty bracket pair', '[]', []],
  ])('reads %s', (_form, value, expected) => {
    expect(parseCognitoGroups(value)).toEqual(expected);
  });

  it('reads an array, dropping blanks and duplicates', () => {
    expect(parseCognitoGroups(['analyst', ' ', 'analyst', 'manager'])).toEqual(['analyst', 'manager']);
  });
});

describe('callerOf', () => {
  it('returns a manager with their manager id', () => {
    const caller = callerOf(
      restEvent({ sub: 'u-1', 'cognito:groups': 'manager', 'custom:manager_id': 'm-7' }),
    );

    expect(caller).toEqual({ userId: 'u-1', role: 'manager', groups: ['manager'], managerId: 'm-7' });
  });

  it.each([
    ['admin over analyst and manager', 'manager,analyst,admin', 'admin'],
    ['admin over manager', '[manager admin]', 'admin'],
    ['analyst over manager', 'manager,analyst', 'analyst'],
    ['a known group next to unknown ones', 'crm-integration,analyst', 'analyst'],
  ])('lets the highest role win: %s', (_case, groups, role) => {
    const caller = callerOf(restEvent({ sub: 'u-2', 'cognito:groups': groups, 'custom:manager_id': 'm-1' }));

    expect(caller.role).toBe(role);
    expect(caller.groups).toEqual(parseCognitoGroups(groups));
  });

  it('takes groups as an array, as in a token passed on unchanged', () => {
    const caller = callerOf(restEvent({ sub: 'u-3', 'cognito:groups': ['analyst', 'manager'] }));

    expect(caller.role).toBe('analyst');
    expect(caller.groups).toEqual(['analyst', 'manager']);
  });

  it('does not require a manager id of an admin', () => {
    const caller = callerOf(restEvent({ sub: 'u-4', 'cognito:groups': 'admin,manager' }));

    expect(caller).toEqual({ userId: 'u-4', role: 'admin', groups: ['admin', 'manager'] });
    expect('managerId' in caller).toBe(false);
  });

  it('reads the claims of an HTTP API JWT authorizer too', () => {
    const event = {
      requestContext: { authorizer: { jwt: { claims: { sub: 'u-5', 'cognito:groups': '[analyst]' } } } },
    };

    expect(callerOf(event)).toEqual({ userId: 'u-5', role: 'analyst', groups: ['analyst'] });
  });

  it('refuses a user in no group it knows, naming their groups', () => {
    const error = thrownBy(() => callerOf(restEvent({ sub: 'u-6', 'cognito:groups': 'marketing,crm' })));

    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error).toMatchObject({ statusCode: 403, code: 'Forbidden', name: 'ForbiddenError' });
    expect(String(error)).toContain('User u-6 is in none of the groups admin, analyst, manager');
    expect(String(error)).toContain('their groups: marketing, crm');
  });

  it('refuses a user with no groups at all', () => {
    const error = thrownBy(() => callerOf(restEvent({ sub: 'u-7' })));

    expect(error).toBeInstanceOf(ForbiddenError);
    expect(String(error)).toContain('their groups: none');
  });

  it.each([
    ['missing', {}],
    ['blank', { 'custom:manager_id': '  ' }],
  ])('refuses a manager whose manager id is %s', (_case, extra) => {
    const error = thrownBy(() => callerOf(restEvent({ sub: 'u-8', 'cognito:groups': 'manager', ...extra })));

    expect(error).toBeInstanceOf(ForbiddenError);
    expect(String(error)).toContain('Manager u-8 has no custom:manager_id claim');
  });

  it.each([
    ['no authorizer', { requestContext: {} }],
    ['a null authorizer', { requestContext: { authorizer: null } }],
    ['no request context', {}],
  ])('refuses an event with %s as unauthorized', (_case, event: EventWithAuthorizer) => {
    const error = thrownBy(() => callerOf(event));

    expect(error).toBeInstanceOf(UnauthorizedError);
    expect(error).toMatchObject({ statusCode: 401, code: 'Unauthorized' });
    expect(String(error)).toContain('no Cognito claims');
  });

  it('refuses claims without a subject, naming the field', () => {
    const error = thrownBy(() => callerOf(restEvent({ 'cognito:groups': 'admin' })));

    expect(error).toBeInstanceOf(UnauthorizedError);
    expect(String(error)).toMatch(/sub/);
  });
});

describe('error hierarchy', () => {
  it.each([
    [new ValidationError('limit must be at most 500'), 'ValidationError', 'ValidationError', 400],
    [new UnauthorizedError('no token'), 'UnauthorizedError', 'Unauthorized', 401],
    [new ForbiddenError('not yours'), 'ForbiddenError', 'Forbidden', 403],
    [new NotFoundError('customer c-1 has no features'), 'NotFoundError', 'NotFound', 404],
    [new ConflictError('feedback f-1 exists'), 'ConflictError', 'Conflict', 409],
  ])('%s carries its name, code and status', (error, name, code, statusCode) => {
    expect(error).toBeInstanceOf(ChurnRadarError);
    expect(error).toBeInstanceOf(Error);
    expect({ name: error.name, code: error.code, statusCode: error.statusCode }).toEqual({
      name,
      code,
      statusCode,
    });
  });

  it('keeps the cause', () => {
    const cause = new Error('dynamo said no');

    expect(new ConflictError('feedback f-1 exists', { cause }).cause).toBe(cause);
  });
});
