export * from './keys.js';
export * from './agent-id.js';
export * from './daemon-identity.js';
