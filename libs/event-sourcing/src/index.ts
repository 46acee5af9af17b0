export * from './database-config.js';
export * from './event-sourcing.module.js';
export * from './event-store-definition.js';
export * from './leaderships.js';
export * from './tokens.js';
export * from './service-consumers.js';
export * from './fact-log.js';
