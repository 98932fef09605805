export * from './intent-service.js';
export * from './unrouted.js';
export * from './router.js';
export * from './pipeline.js';
