/**
 * Errors a person can act on. The API error handler turns any of them into a JSON body
 * `{ code, message }` with `statusCode`; anything that is not a `ChurnRadarError` is a 5xx whose
 * message never leaves the function.
 */
export class ChurnRadarError extends Error {
  /** Stable, machine-readable; clients branch on it, people read the message. */
  readonly code: string;
  readonly statusCode: number;

  constructor(message: string, code: string, statusCode: number, options?: ErrorOptions) {
    super(message, options);
    // `new.target` so subclasses are named after themselves without repeating it in each constructor.
    this.name = new.target.name;
    this.code = code;
    this.statusCode = statusCode;
  }
}

/** The request is malformed: name the field and the rule it broke. */
export class ValidationError extends ChurnRadarError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'ValidationError', 400, options);
  }
}

/** Nobody we can identify is calling: missing, unverified or unreadable credentials. */
export class UnauthorizedError extends ChurnRadarError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'Unauthorized', 401, options);
  }
}

/** We know who is calling, and they may not do this. */
export class ForbiddenError extends ChurnRadarError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'Forbidden', 403, options);
  }
}

export class NotFoundError extends ChurnRadarError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'NotFound', 404, options);
  }
}

/** The request is valid but clashes with the current state (a duplicate, a stale version). */
export class ConflictError extends ChurnRadarError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'Conflict', 409, options);
  }
}
