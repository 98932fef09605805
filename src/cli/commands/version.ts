import { COVENANT_VERSION } from '../../core/version.js';
import { IpcClient } from '../../ipc/client.js';
import type { ProtocolInfo } from '../../protocol/constants.js';
import { toFailure, type CommandOutcome, type GlobalFlags } from '../output.js';
import { socketPath } from '../session.js';

/** Reads protocol info without a token; a missing daemon is reported, not fatal. */
export async function versionCommand(flags: GlobalFlags): Promise<CommandOutcome> {
  let daemon: ProtocolInfo | null = null;
  let daemonError: string | null = null;
  try {
    const client = await IpcClient.connect(socketPath(flags), { timeoutMs: 10_000 });
    try {
      daemon = await client.protocolInfo();
    } finally {
      client.close();
    }
  } catch (error) {
    daemonError = toFailure(error).message;
  }
  const human = [`covenant ${COVENANT_VERSION}`];
  human.push(
    daemon
      ? `covenantd ${daemon.daemon_version} (protocol ${daemon.protocol} v${daemon.version}, supports ${daemon.min_supported}-${daemon.max_supported})`
      : `covenantd: not reachable (${daemonError})`,
  );
  return {
    json: { kind: 'version', cli_version: COVENANT_VERSION, daemon, daemon_error: daemonError },
    human,
  };
}
