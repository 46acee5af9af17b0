export * from './qmp-client.js';
