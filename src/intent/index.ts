export * from './intent-service.js';
export * from './echo.js';
export * from './router.js';
export * from './pipeline.js';
