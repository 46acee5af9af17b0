export * from './agent.js';
export * from './billing-views.js';
export * from './envelope.js';
export * from './errors.js';
export * from './events.js';
export * from './names.js';
export * from './subjects.js';
