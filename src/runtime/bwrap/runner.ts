/** The linux-bwrap runner: the supervisor with the host launch wrapped in bwrap. */
import { AgentSupervisor } from '../supervisor/index.js';
import { hostBackend, resolveHostLaunch, type HostRunnerOptions } from '../local-runner.js';
import { bwrapCommand, type BwrapHost } from './command.js';

export function createBwrapRunner(host: BwrapHost, options: HostRunnerOptions = {}): AgentSupervisor {
  return new AgentSupervisor(
    hostBackend('linux-bwrap', (launch) => bwrapCommand(resolveHostLaunch(launch, options), host)),
    options,
  );
}
