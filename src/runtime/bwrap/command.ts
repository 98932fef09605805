/**
 * The bwrap command line of one agent launch (SPEC 13, "The bubblewrap backend"). Pure: the
 * host facts it depends on (root layout, node binary) are passed in, so tests can check the
 * exact line.
 *
 * What the agent sees: the host's /usr read-only, /bin /sbin /lib* as the host has them (links
 * into /usr on a usr-merged system, read-only binds otherwise), its package read-only at
 * /workspace (the cwd), a private size-limited /tmp (the only writable place: / and /dev are
 * remounted read-only), a fresh /proc, a minimal /dev; no other host path, so nothing of
 * $COVENANT_HOME but the package. New user, pid, ipc, uts, cgroup and network namespaces
 * (`--unshare-all`; the network only loopback unless `[resources] network` asks for more, then
 * `--share-net` and the resolver files of /etc). Inside it is uid/gid 65534 with no
 * capabilities. `--die-with-parent` ends it with the daemon. `--as-pid-1`: the agent is pid 1
 * of its namespace and bwrap's direct child, so nothing of the sandbox outlives bwrap in the
 * process group (bwrap's own reaper would linger as an orphan zombie, and the runner would scan
 * /proc after every run to see it gone). No `--new-session`: the daemon
 * spawns bwrap in its own session and process group (setsid), and a second session would take
 * the agent out of the group the runner kills on timeout.
 */
import type { SandboxCommand, SandboxLaunch } from '../local-runner.js';
import { LaunchRefused } from '../supervisor/index.js';

export const BWRAP_WORKSPACE = '/workspace';
/** PATH inside the sandbox (only /usr is there). */
export const BWRAP_PATH = '/usr/local/bin:/usr/bin:/bin';
/** Default size of the private /tmp. */
export const DEFAULT_BWRAP_TMPFS_MB = 64;
export const BWRAP_UID = 65534;
export const BWRAP_GID = 65534;
/** Files of /etc an agent with network needs to resolve names (bound read-only when present). */
export const BWRAP_NETWORK_ETC = ['/etc/resolv.conf', '/etc/hosts', '/etc/nsswitch.conf', '/etc/ssl', '/etc/ca-certificates'];
export const BWRAP_INSTALL_FIX = 'install bubblewrap (`apt-get install bubblewrap` on Debian/Ubuntu), or name another backend; see docs/bwrap-runner.md';

/** How the host has one top-level directory next to /usr (usr-merged: a link into it). */
export type RootEntry = { name: string; kind: 'symlink'; target: string } | { name: string; kind: 'dir' };

export interface BwrapHost {
  /** bwrap binary, or null when it is not installed. */
  bwrap: string | null;
  /** /bin, /sbin, /lib, /lib32, /lib64, /libx32 as found on the host (absent ones left out). */
  rootEntries: readonly RootEntry[];
  /** Real path of the node binary (bound read-only at the same path when outside /usr). */
  nodePath: string;
  /** Size of the private /tmp in MiB. */
  tmpfsMb?: number;
}

/** The interpreter command inside the sandbox. */
function innerCommand(launch: SandboxLaunch, host: BwrapHost): string[] {
  const entry = `${BWRAP_WORKSPACE}/${launch.entry}`;
  switch (launch.runtime) {
    case 'node': {
      const args = [host.nodePath];
      if (Number.isInteger(launch.memoryMb) && launch.memoryMb > 0) args.push(`--max-old-space-size=${launch.memoryMb}`);
      args.push(entry);
      return args;
    }
    case 'python3':
      return [launch.python3Command, entry];
    case 'bin':
      return [entry];
    default:
      throw new Error(`unknown runtime ${JSON.stringify(launch.runtime)}`);
  }
}

/** The environment inside: the allowlisted one, with PATH and HOME of the sandbox. */
export function bwrapEnv(launch: SandboxLaunch): Record<string, string> {
  return { ...launch.env, PATH: BWRAP_PATH, HOME: '/tmp' };
}

export function bwrapArgs(launch: SandboxLaunch, host: BwrapHost): string[] {
  const args = ['--unshare-all'];
  if (launch.profile.network !== 'off') args.push('--share-net');
  args.push('--unshare-user', '--uid', String(BWRAP_UID), '--gid', String(BWRAP_GID), '--cap-drop', 'ALL');
  args.push('--die-with-parent', '--as-pid-1');
  args.push('--ro-bind', '/usr', '/usr');
  for (const entry of host.rootEntries) {
    if (entry.kind === 'symlink') args.push('--symlink', entry.target, `/${entry.name}`);
    else args.push('--ro-bind', `/${entry.name}`, `/${entry.name}`);
  }
  if (!host.nodePath.startsWith('/usr/') && launch.runtime === 'node') args.push('--ro-bind', host.nodePath, host.nodePath);
  if (launch.profile.network !== 'off') for (const file of BWRAP_NETWORK_ETC) args.push('--ro-bind-try', file, file);
  args.push('--proc', '/proc', '--dev', '/dev');
  const tmpfsMb = host.tmpfsMb ?? DEFAULT_BWRAP_TMPFS_MB;
  args.push('--size', String(tmpfsMb * 1024 * 1024), '--tmpfs', '/tmp');
  args.push('--ro-bind', launch.packageDir, BWRAP_WORKSPACE, '--chdir', BWRAP_WORKSPACE);
  args.push('--remount-ro', '/dev', '--remount-ro', '/');
  args.push('--clearenv');
  const env = bwrapEnv(launch);
  for (const name of Object.keys(env).sort()) args.push('--setenv', name, env[name]!);
  args.push('--', ...innerCommand(launch, host));
  return args;
}

/** The spawn of one launch; refuses it (`sandbox_unavailable`) when bwrap is not installed. */
export function bwrapCommand(launch: SandboxLaunch, host: BwrapHost): SandboxCommand {
  if (host.bwrap === null) throw new LaunchRefused('sandbox_unavailable', `the linux-bwrap backend needs bwrap, which is not installed: ${BWRAP_INSTALL_FIX}`);
  // bwrap itself only needs PATH; the agent's environment is set with --clearenv/--setenv.
  return { command: host.bwrap, args: bwrapArgs(launch, host), cwd: '/', env: { PATH: BWRAP_PATH } };
}
