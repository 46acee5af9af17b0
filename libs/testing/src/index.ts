export * from './child-process.js';
export * from './environment.js';
export * from './decider-spec.js';
export * from './service-client.js';
export * from './events.js';
export * from './awan-launcher.js';
export * from './simulated-host.js';
export * from './hardware.js';
