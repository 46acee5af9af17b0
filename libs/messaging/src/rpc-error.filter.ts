import { Catch, Logger, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';
import { AppError, type WireError } from '#libs/contracts';

/**
 * Turns whatever a message handler throws into a WireError reply. An AppError keeps its code
 * and message; a fault `isTransient` recognises (a database lock or connection not had in time)
 * leaves as UNAVAILABLE, which the caller may retry; anything else is logged here with its stack
 * and leaves as INTERNAL.
 */
@Catch()
export class RpcErrorFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('RpcErrorFilter');

  constructor(private readonly isTransient: (error: unknown) => boolean = () => false) {}

  catch(exception: unknown, host: ArgumentsHost): Observable<WireError> {
    if (exception instanceof AppError) return throwError(() => exception.toWire());
    const subject = host.getType() === 'rpc' ? String(host.switchToRpc().getContext()?.getSubject?.() ?? '') : '';
    if (this.isTransient(exception)) {
      this.logger.warn(`${subject || 'a request'} answered UNAVAILABLE: ${(exception as Error)?.message ?? String(exception)}`);
      return throwError(() => AppError.unavailable(`${subject || 'the service'} is busy: retry`).toWire());
    }
    this.logger.error(`unexpected error handling ${subject || 'a message'}`, (exception as Error)?.stack ?? String(exception));
    return throwError(() => ({ code: 'INTERNAL', message: 'internal error' }) satisfies WireError);
  }
}
