// Kept free of zod so that `covenant version` loads almost nothing.
export const PROTOCOL_NAME = 'covenant.ipc';
export const PROTOCOL_VERSION = 1;
export const MIN_SUPPORTED_VERSION = 1;
export const MAX_SUPPORTED_VERSION = 1;

export interface ProtocolInfo {
  protocol: string;
  version: number;
  min_supported: number;
  max_supported: number;
  daemon_version: string;
}
