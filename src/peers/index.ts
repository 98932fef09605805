export * from './tokens.js';
export * from './registry.js';
export * from './operator-token.js';
export * from './recover-operator.js';
export * from './token-file.js';
