export * from './envelope.js';
export * from './events.js';
export * from './subjects.js';
