import { Catch, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { GqlArgumentsHost, type GqlContextType } from '@nestjs/graphql';
import { AppError } from '#libs/contracts';
import { RequestFault } from './format-error.js';
import type { GatewayContext } from './gateway-context.js';

/**
 * What a resolver throws goes to GraphQL's errors, which formatGraphqlError logs, each once: an
 * AppError the caller can act on (NOT_FOUND, CONFLICT…) as it is, anything else as a RequestFault
 * that carries the request's correlation id, so the caller's error and the log line name the same.
 * (Nest's own handler would log a fault with its stack, but without the id.) Elsewhere, as Nest does.
 */
@Catch()
export class ClientErrors extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): unknown {
    if (host.getType<GqlContextType>() !== 'graphql') return super.catch(exception, host);
    if (exception instanceof AppError && exception.code !== 'INTERNAL') return exception;
    return new RequestFault(GqlArgumentsHost.create(host).getContext<GatewayContext>().correlationId, exception);
  }
}
