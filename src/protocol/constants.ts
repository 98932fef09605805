// Kept free of zod: the CLI's fast paths and the socket client import this file directly.
export const PROTOCOL_NAME = 'covenant.ipc';
export const PROTOCOL_VERSION = 1;
export const MIN_SUPPORTED_VERSION = 1;
export const MAX_SUPPORTED_VERSION = 1;

/** The largest frame (and HTTP body or response) either side accepts. */
export const MAX_FRAME_BYTES = 8 * 1024 * 1024;
/** Frames a client may send before it has authenticated (`authenticate` is a few hundred bytes). */
export const PRE_AUTH_MAX_FRAME_BYTES = 64 * 1024;

export interface ProtocolInfo {
  protocol: string;
  version: number;
  min_supported: number;
  max_supported: number;
  daemon_version: string;
}
