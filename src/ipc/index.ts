export * from './constants.js';
export * from './framing.js';
export * from './messages.js';
export * from './request-definition.js';
export * from './requests/index.js';
export { IpcClient, type WireMessage } from './client.js';
