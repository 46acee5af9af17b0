export * from './health.module.js';
export * from './nats-connection.module.js';
export * from './run-service.js';
export * from './service-config.js';
export * from './tokens.js';
export * from './platform-imports.js';
export * from './logging.js';
export * from './account-queue.js';
