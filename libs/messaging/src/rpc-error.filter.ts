import { Catch, Logger, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';
import { AppError, type Caller, type WireError } from '#libs/contracts';

/**
 * Turns whatever a message handler throws into a WireError reply. An AppError keeps its code
 * and message: the caller's answer, logged at debug without a stack. A fault `isTransient`
 * recognises (a database lock or connection not had in time) leaves as UNAVAILABLE, which the
 * caller may retry; anything else is logged here as an error with its stack and the request's
 * correlation id (the gateway's, which its caller gets too), and leaves as INTERNAL.
 */
@Catch()
export class RpcErrorFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('requests');

  constructor(private readonly isTransient: (error: unknown) => boolean = () => false) {}

  catch(exception: unknown, host: ArgumentsHost): Observable<WireError> {
    const rpc = host.getType() === 'rpc' ? host.switchToRpc() : null;
    const subject = String(rpc?.getContext()?.getSubject?.() ?? '');
    if (exception instanceof AppError) {
      this.logger.debug({ msg: `${subject || 'a request'} answered ${exception.code}: ${exception.message}`, subject, code: exception.code });
      return throwError(() => exception.toWire());
    }
    if (this.isTransient(exception)) {
      this.logger.debug({ msg: `${subject || 'a request'} answered UNAVAILABLE: ${(exception as Error)?.message ?? String(exception)}`, subject, code: 'UNAVAILABLE' });
      return throwError(() => AppError.unavailable(`${subject || 'the service'} is busy: retry`).toWire());
    }
    const correlationId = (rpc?.getData() as Partial<Caller> | undefined)?.metadata?.correlationId;
    this.logger.error({ msg: `unexpected error handling ${subject || 'a message'}`, subject, code: 'INTERNAL', correlationId, err: exception });
    return throwError(() => ({ code: 'INTERNAL', message: 'internal error' }) satisfies WireError);
  }
}
