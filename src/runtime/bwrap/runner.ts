/**
 * The linux-bwrap runner: the trusted-local runner's process supervision (protocol, caps,
 * timeout, process-group kill, warm pool) with every launch wrapped in bwrap.
 */
import { TrustedLocalRunner, type TrustedLocalRunnerOptions } from '../local-runner.js';
import { bwrapCommand, type BwrapHost } from './command.js';

export function createBwrapRunner(
  host: BwrapHost,
  options: Omit<TrustedLocalRunnerOptions, 'sandbox' | 'runAs'> = {},
): TrustedLocalRunner {
  return new TrustedLocalRunner({ ...options, sandbox: { backend: 'linux-bwrap', command: (launch) => bwrapCommand(launch, host) } });
}
