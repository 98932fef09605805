export * from './actions.js';
export * from './catalogue.js';
export * from './scope.js';
export * from './capability.js';
export { CapabilityStore, isLive } from './store.js';
export { IdentityKeyStore } from './identity-keys.js';
export * from './service.js';
