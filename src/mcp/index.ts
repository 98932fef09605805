export * from './tool.js';
export * from './builtin-tools.js';
export * from './tool-registry.js';
