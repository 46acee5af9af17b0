export * from './deadlines.js';
