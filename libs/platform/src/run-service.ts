import 'reflect-metadata';
import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestMicroservice } from '@nestjs/microservices';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { natsListenerOptions, natsReconnects, RequestDeadlines, RequestMetricsInterceptor, RpcErrorFilter, TracedRequests } from '#libs/messaging';
import { startTracing } from '#libs/tracing';
import { createLogger, PinoLoggerService } from './logging.js';
import type { ServiceConfig } from './service-config.js';

/**
 * Starts a service as one process: HTTP (health, and the API for the gateway) plus its NATS
 * request listener in the service's queue group. SIGTERM and SIGINT close it cleanly.
 */
export async function runService(
  module: Type | DynamicModule,
  config: ServiceConfig,
  options: {
    rawBody?: boolean;
    maxBodyBytes?: number;
    /** Express's `trust proxy`: whose X-Forwarded-For gives `request.ip` (false: the peer's own address). */
    trustProxy?: false | number | string;
    /** Faults that answer UNAVAILABLE (safe to retry) rather than INTERNAL: a data-keeping service's busy database. */
    transientErrors?: (error: unknown) => boolean;
  } = {},
): Promise<INestApplication> {
  // Every `new Logger(context)` of the process writes through it, Nest's own included.
  const logger = new PinoLoggerService(createLogger(config.log, config.service));
  // Before anything that could make a span; without a collector configured, the SDK is never loaded.
  if (config.tracing) await startTracing(config.service, config.tracing, logger);
  // rawBody keeps the bytes of each request beside its parsed body, for signatures such as Stripe's.
  const app = await NestFactory.create<NestExpressApplication>(module, { logger, rawBody: options.rawBody });
  // A larger JSON body is refused (413) before it is parsed.
  if (options.maxBodyBytes) app.useBodyParser('json', { limit: options.maxBodyBytes });
  // Every answer is made afresh for its request (GraphQL's are no-store): Express would hash each body for an ETag no client can use.
  app.set('etag', false);
  if (options.trustProxy) app.set('trust proxy', options.trustProxy);
  // Deferred, so the filter is in place before the listeners are set up; the application's own
  // init runs the modules' hooks, so the listener must not run them a second time.
  const listener = app.connectMicroservice(natsListenerOptions(config.service, config), {
    deferInitialization: true,
  }) as NestMicroservice;
  listener.useGlobalFilters(new RpcErrorFilter(options.transientErrors));
  listener.useGlobalInterceptors(new RequestDeadlines());
  if (config.tracing) listener.useGlobalInterceptors(new TracedRequests());
  if (config.metrics) {
    listener.useGlobalInterceptors(new RequestMetricsInterceptor(options.transientErrors));
    listener.on('reconnect', () => natsReconnects.inc({ connection: 'requests' }));
  }
  listener.setIsInitHookCalled(true);
  app.enableShutdownHooks();
  await app.startAllMicroservices();
  await app.listen(config.port, config.host);
  logger.log(`ready: health at http://${config.host}:${config.port}/health, requests on NATS ${config.natsUrl}`);
  return app;
}
