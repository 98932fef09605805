export * from './intent-service.js';
export * from './echo.js';
