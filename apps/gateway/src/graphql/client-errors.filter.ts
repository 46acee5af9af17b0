import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { AppError } from '#libs/contracts';

/**
 * An AppError a resolver throws is the caller's answer (NOT_FOUND, CONFLICT…), not the gateway's
 * fault: it goes to GraphQL's errors as it is, without Nest logging it with its stack as an error.
 * Only INTERNAL, which the caller cannot act on, is logged.
 */
@Catch(AppError)
export class ClientErrors implements ExceptionFilter {
  private readonly logger = new Logger('graphql');

  catch(error: AppError, host: ArgumentsHost): AppError {
    if (error.code === 'INTERNAL') this.logger.error(error.message, error.stack);
    if (host.getType<string>() !== 'graphql') throw error;
    return error;
  }
}
