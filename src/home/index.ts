export * from './layout.js';
export * from './permissions.js';
export * from './instance-lock.js';
export * from './writable.js';
export { parseConfigToml } from './config-toml.js';
