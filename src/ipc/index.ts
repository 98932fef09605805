/** The socket transport's client side: length-prefixed frames and a typed client. */
export * from './framing.js';
export { DaemonRefusal, IpcClient, type WireMessage } from './client.js';
