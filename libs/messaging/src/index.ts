export * from './messaging.module.js';
export * from './rpc-error.filter.js';
export * from './service-client.js';
export * from './caller.js';
export * from './pagination.js';
export * from './handles.js';
export * from './request-metrics.js';
export * from './message-tracing.js';
