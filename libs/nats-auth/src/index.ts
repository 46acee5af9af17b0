export * from './authority.js';
export * from './account-claims.js';
export * from './permissions.js';
export * from './connection-options.js';
