import { ERROR_CODES, type ErrorCode, type WireError } from './errors.js';

/**
 * An error a caller can act on, with its contract code. Thrown by domain code and
 * handlers, carried across NATS as a WireError and raised again on the calling side.
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'AppError';
  }

  static badInput(field: string, problem: string): AppError {
    return new AppError('BAD_USER_INPUT', `${field}: ${problem}`, field);
  }

  static notFound(what: string): AppError {
    return new AppError('NOT_FOUND', `${what} not found`);
  }

  static conflict(message: string): AppError {
    return new AppError('CONFLICT', message);
  }

  static unavailable(message: string): AppError {
    return new AppError('UNAVAILABLE', message);
  }

  toWire(): WireError {
    return this.field === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, field: this.field };
  }

  /** Rebuilds the error a service replied with; anything unrecognised becomes INTERNAL. */
  static fromWire(value: unknown): AppError {
    const wire = value as Partial<WireError> | null;
    const known = [...ERROR_CODES, 'INTERNAL'] as readonly string[];
    if (wire && typeof wire.code === 'string' && known.includes(wire.code) && typeof wire.message === 'string') {
      return new AppError(wire.code as ErrorCode, wire.message, wire.field);
    }
    return new AppError('INTERNAL', 'internal error');
  }
}
