export * from './decimal-counter.js';
export * from './process-metrics.js';
export * from './scrape-time.js';
