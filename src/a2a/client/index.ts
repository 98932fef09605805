export { connectRemote, type ConnectOptions, type RemoteConnection } from './verified-client.js';
