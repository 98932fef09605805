/**
 * OCI bundles for the linux-gvisor runner.
 *
 * One bundle per run, in `$COVENANT_HOME/runtime/gvisor/<run-id>/config.json`:
 * - root: the operator's rootfs (`COVENANT_GVISOR_ROOTFS`, built by `scripts/make-rootfs.sh`),
 *   mounted read-only;
 * - the agent package bind-mounted read-only at `/workspace`, which is also the cwd;
 * - a size-limited tmpfs at `/tmp`: the scratch space, the only writable mount (besides gVisor's
 *   own in-memory /dev, which vanishes with the sandbox);
 * - environment `PATH` only, plus whatever the caller passes explicitly (never the daemon's);
 * - no capabilities at all, `noNewPrivileges`, its own network namespace (runsc is started with
 *   `--network=none`, so the sandbox has a loopback device and nothing else);
 * - a memory limit from the manifest (enforced by runsc through the host memory cgroup).
 */
import { randomUUID } from 'node:crypto';
import { promises as fsp, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { CovenantError } from '../../core/errors.js';
import type { AgentRunRequest } from '../runner.js';

/** PATH inside the sandbox; it matches the layout `scripts/make-rootfs.sh` produces. */
export const GVISOR_SANDBOX_PATH = '/usr/local/bin:/usr/bin:/bin';
/** Where the agent package is mounted (read-only) and the process's cwd. */
export const GVISOR_WORKSPACE = '/workspace';
/** Interpreters inside the rootfs, by manifest runtime. */
export const GVISOR_INTERPRETERS = {
  node: '/usr/bin/node',
  python3: '/usr/bin/python3',
} as const;
/** Size of the writable `/tmp` tmpfs unless the caller says otherwise. */
export const DEFAULT_SCRATCH_MB = 64;
/** The runsc state directory lives beside the bundles under this name. */
export const GVISOR_STATE_DIRNAME = 'state';

const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Whether `name` could be a run's id (and its bundle directory's name): what runsc accepts, never `state`. */
export function isGvisorRunId(name: string): boolean {
  return CONTAINER_ID.test(name) && name !== GVISOR_STATE_DIRNAME;
}

/**
 * The run ids of the bundle directories under `stateRoot` (names no run could have are not
 * listed); none when it does not exist. Read before a runner writes anything, they are what a
 * killed covenantd left.
 */
export function leftoverGvisorRuns(stateRoot: string): string[] {
  try {
    return readdirSync(stateRoot).filter(isGvisorRunId);
  } catch {
    return [];
  }
}

export interface GvisorBundleOptions {
  /** `$COVENANT_HOME/runtime/gvisor`: the bundle is written to `<stateRoot>/<runId>/`. */
  stateRoot: string;
  /** Container id and bundle directory name (defaults to a fresh UUID). */
  runId?: string;
  /** Absolute path of the rootfs; mounted read-only as `/`. */
  rootfs: string;
  /** Installed package directory; bind-mounted read-only at `/workspace`. */
  packageDir: string;
  runtime: AgentRunRequest['runtime'];
  /** Entry file relative to packageDir. */
  entry: string;
  memoryMb: number;
  /** Extra environment passed explicitly by the caller. `PATH` is always the sandbox PATH. */
  env?: Record<string, string>;
  /** Size of the `/tmp` tmpfs (default 64 MiB). */
  scratchMb?: number;
  /**
   * User inside the sandbox (it holds no capabilities whatever the uid). Defaults to the owner
   * of packageDir, so owner-only package files stay readable while everything is read-only.
   */
  user?: { uid: number; gid: number };
  /** Labels recorded as OCI annotations (e.g. the agent id); keys are prefixed `dev.covenant.`. */
  annotations?: Record<string, string>;
}

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

export interface OciSpec {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: {
      bounding: string[];
      effective: string[];
      inheritable: string[];
      permitted: string[];
      ambient: string[];
    };
    rlimits: Array<{ type: string; hard: number; soft: number }>;
    noNewPrivileges: boolean;
  };
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: OciMount[];
  annotations?: Record<string, string>;
  linux: {
    namespaces: Array<{ type: string; path?: string }>;
    resources: { memory: { limit: number } };
  };
}

export interface GvisorBundle {
  runId: string;
  /** `<stateRoot>/<runId>` */
  dir: string;
  configPath: string;
  spec: OciSpec;
}

/** A fresh container id: a UUID (valid for runsc, unique under the state root). */
export function newGvisorRunId(): string {
  return randomUUID();
}

/**
 * Validates the manifest entry and returns its path inside the sandbox (`/workspace/<entry>`).
 * The entry must be a relative path that stays inside the package.
 */
export function sandboxEntryPath(entry: string): string {
  if (typeof entry !== 'string' || entry.length === 0) {
    throw new CovenantError('E_BAD_REQUEST', 'agent entry is empty');
  }
  if (entry.includes('\0') || entry.includes('\\')) {
    throw new CovenantError('E_BAD_REQUEST', `agent entry ${JSON.stringify(entry)} has a forbidden character`);
  }
  if (path.posix.isAbsolute(entry)) {
    throw new CovenantError('E_BAD_REQUEST', `agent entry ${JSON.stringify(entry)} must be relative to the package`);
  }
  const normalized = path.posix.normalize(entry);
  if (normalized === '.' || normalized === '..' || normalized.startsWith('../')) {
    throw new CovenantError('E_BAD_REQUEST', `agent entry ${JSON.stringify(entry)} escapes the package directory`);
  }
  return path.posix.join(GVISOR_WORKSPACE, normalized);
}

/** The process arguments by manifest runtime. */
export function sandboxArgs(runtime: AgentRunRequest['runtime'], entry: string): string[] {
  const entryPath = sandboxEntryPath(entry);
  switch (runtime) {
    case 'node':
      return [GVISOR_INTERPRETERS.node, entryPath];
    case 'python3':
      return [GVISOR_INTERPRETERS.python3, entryPath];
    case 'bin':
      return [entryPath];
    default:
      throw new CovenantError('E_BAD_REQUEST', `unknown agent runtime ${JSON.stringify(runtime)}`);
  }
}

/** `PATH=<sandbox PATH>` first, then the explicitly passed variables (a passed PATH is ignored). */
export function sandboxEnv(env: Record<string, string> | undefined): string[] {
  const out = [`PATH=${GVISOR_SANDBOX_PATH}`];
  for (const [name, value] of Object.entries(env ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (name === 'PATH') continue;
    if (!ENV_NAME.test(name)) {
      throw new CovenantError('E_BAD_REQUEST', `environment variable name ${JSON.stringify(name)} is not valid`);
    }
    if (typeof value !== 'string' || value.includes('\0')) {
      throw new CovenantError('E_BAD_REQUEST', `environment variable ${name} has an invalid value`);
    }
    out.push(`${name}=${value}`);
  }
  return out;
}

function positiveInt(value: number, what: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new CovenantError('E_BAD_REQUEST', `${what} must be a positive number (got ${String(value)})`);
  }
  return Math.ceil(value);
}

/** Builds the OCI runtime spec (pure apart from the default user, which stats packageDir). */
export function buildGvisorSpec(options: Omit<GvisorBundleOptions, 'stateRoot' | 'runId'>): OciSpec {
  if (!path.isAbsolute(options.rootfs)) {
    throw new CovenantError('E_BAD_REQUEST', 'the gVisor rootfs path must be absolute');
  }
  if (!path.isAbsolute(options.packageDir)) {
    throw new CovenantError('E_BAD_REQUEST', 'the agent package directory must be an absolute path');
  }
  const memoryMb = positiveInt(options.memoryMb, 'memory_mb');
  const scratchMb = positiveInt(options.scratchMb ?? DEFAULT_SCRATCH_MB, 'scratch size');
  let user = options.user;
  if (user === undefined) {
    const st = statSync(options.packageDir);
    user = { uid: st.uid, gid: st.gid };
  }
  const annotations: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.annotations ?? {})) {
    annotations[`dev.covenant.${key}`] = value;
  }

  const spec: OciSpec = {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: user.uid, gid: user.gid },
      args: sandboxArgs(options.runtime, options.entry),
      env: sandboxEnv(options.env),
      cwd: GVISOR_WORKSPACE,
      capabilities: { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: path.resolve(options.rootfs), readonly: true },
    hostname: 'covenant-agent',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      // gVisor's own in-memory /dev. Not read-only: gVisor refuses writes to /dev/null on a
      // read-only /dev (Linux allows them), which breaks `2>/dev/null` and stdio 'ignore'.
      // Anything written here lives in sandbox memory only and vanishes with the run.
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'noexec', 'strictatime', 'mode=755', 'size=65536k'] },
      {
        destination: '/tmp',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'nodev', 'mode=1777', `size=${scratchMb * 1024 * 1024}`],
      },
      {
        destination: GVISOR_WORKSPACE,
        type: 'bind',
        source: path.resolve(options.packageDir),
        options: ['rbind', 'ro', 'nosuid', 'nodev'],
      },
    ],
    linux: {
      // No `path` on any namespace: each is new and empty. The network namespace has no
      // interfaces (runsc --network=none gives the sandbox a loopback device only).
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      resources: { memory: { limit: memoryMb * 1024 * 1024 } },
    },
  };
  if (Object.keys(annotations).length > 0) spec.annotations = annotations;
  return spec;
}

/**
 * Writes `<stateRoot>/<runId>/config.json` (directory 0700, file 0600). On any failure the
 * half-written directory is removed before the error propagates.
 */
export async function writeGvisorBundle(options: GvisorBundleOptions): Promise<GvisorBundle> {
  const runId = options.runId ?? newGvisorRunId();
  if (!isGvisorRunId(runId)) {
    throw new CovenantError('E_BAD_REQUEST', `run id ${JSON.stringify(runId)} is not a valid container id`);
  }
  const spec = buildGvisorSpec(options);
  const stateRoot = path.resolve(options.stateRoot);
  await fsp.mkdir(stateRoot, { recursive: true, mode: 0o700 });
  const dir = path.join(stateRoot, runId);
  try {
    await fsp.mkdir(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CovenantError('E_CONFLICT', `gVisor bundle ${runId} already exists`);
    }
    throw err;
  }
  const configPath = path.join(dir, 'config.json');
  try {
    await fsp.writeFile(configPath, `${JSON.stringify(spec, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    await removeGvisorBundle(dir);
    throw err;
  }
  return { runId, dir, configPath, spec };
}

/** Removes a bundle directory; never throws (a missing directory is fine). */
export async function removeGvisorBundle(dir: string): Promise<void> {
  try {
    await fsp.rm(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
  } catch {
    // best effort: the caller reports the run's own outcome
  }
}
