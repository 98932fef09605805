/** `covenant doctor`: does bwrap start a sandbox with the agents' own command line here? */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { bwrapArgs, type BwrapHost } from './command.js';

const PROBE_TIMEOUT_MS = 10_000;

/**
 * Runs `/usr/bin/true` under the exact command line an agent gets (its "package" is /usr/bin,
 * bound at /workspace). Answers null when it works, otherwise bwrap's own complaint.
 */
export function probeBwrap(host: BwrapHost): Promise<string | null> {
  if (host.bwrap === null) return Promise.resolve('bwrap is not installed');
  if (!existsSync('/usr/bin/true')) return Promise.resolve('/usr/bin/true is missing, nothing to probe with');
  const args = bwrapArgs(
    { agentId: 'probe', packageDir: '/usr/bin', entry: 'true', runtime: 'bin', memoryMb: 0, profile: { network: 'off', envNames: [] }, env: {}, python3Command: 'python3' },
    host,
  );
  const bwrap = host.bwrap;
  return new Promise((resolve) => {
    execFile(bwrap, args, { timeout: PROBE_TIMEOUT_MS, env: { PATH: '/usr/bin:/bin' } }, (err, _stdout, stderr) => {
      if (!err) resolve(null);
      else resolve((stderr.trim().split('\n')[0] ?? '') || err.message);
    });
  });
}
