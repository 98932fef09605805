export * from './errors.js';
export * from './ids.js';
export * from './base58-pattern.js';
export * from './clock.js';
export * from './canonical.js';
export * from './version.js';
export * from './quote.js';
export * from './well-formed.js';
