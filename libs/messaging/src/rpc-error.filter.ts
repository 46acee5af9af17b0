import { Catch, Logger, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';
import type { WireError } from '#libs/contracts';
import { AppError } from './app-error.js';

/**
 * Turns whatever a message handler throws into a WireError reply. An AppError keeps its code
 * and message; anything else is logged here with its stack and leaves as INTERNAL.
 */
@Catch()
export class RpcErrorFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('RpcErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): Observable<WireError> {
    if (exception instanceof AppError) return throwError(() => exception.toWire());
    const subject = host.getType() === 'rpc' ? String(host.switchToRpc().getContext()?.getSubject?.() ?? '') : '';
    this.logger.error(`unexpected error handling ${subject || 'a message'}`, (exception as Error)?.stack ?? String(exception));
    return throwError(() => ({ code: 'INTERNAL', message: 'internal error' }) satisfies WireError);
  }
}
