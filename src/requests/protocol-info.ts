import { MAX_SUPPORTED_VERSION, MIN_SUPPORTED_VERSION, PROTOCOL_NAME, PROTOCOL_VERSION, type ProtocolInfo } from '../protocol/index.js';

export function protocolInfo(daemonVersion: string): ProtocolInfo {
  return {
    protocol: PROTOCOL_NAME,
    version: PROTOCOL_VERSION,
    min_supported: MIN_SUPPORTED_VERSION,
    max_supported: MAX_SUPPORTED_VERSION,
    daemon_version: daemonVersion,
  };
}
