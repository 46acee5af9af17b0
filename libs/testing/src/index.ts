export * from './child-process.js';
export * from './environment.js';
