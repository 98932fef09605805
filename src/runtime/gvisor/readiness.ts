/**
 * Host readiness for the linux-gvisor backend (`covenant doctor`), and the lookups the runner
 * shares with it: where runsc is, and whether a rootfs is usable.
 */
import { execFile } from 'node:child_process';
import { lstatSync, readlinkSync, readFileSync, statSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isExecutableFile } from '../executable.js';

export const RUNSC_INSTALL_FIX = 'install gVisor with `apt-get install runsc` (Debian 12+), or point runscPath at the binary';

export interface RunscLocation {
  found: boolean;
  /** Absolute path when found; otherwise the path that was tried (or null when PATH was searched). */
  path: string | null;
  /** Why it was not found (for messages). */
  message: string;
}

/** Finds runsc: the explicit path if given, otherwise the first `runsc` on PATH. */
export function locateRunsc(runscPath?: string, envPath: string | undefined = process.env.PATH): RunscLocation {
  if (runscPath !== undefined && runscPath !== '') {
    if (runscPath.includes('/')) {
      const abs = path.resolve(runscPath);
      return isExecutableFile(abs)
        ? { found: true, path: abs, message: `runsc at ${abs}` }
        : { found: false, path: abs, message: `runsc not found at ${abs}` };
    }
  }
  const name = runscPath !== undefined && runscPath !== '' ? runscPath : 'runsc';
  for (const dir of (envPath ?? '').split(path.delimiter)) {
    if (dir === '' || !path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return { found: true, path: candidate, message: `runsc at ${candidate}` };
  }
  return { found: false, path: null, message: `${name} not found on PATH` };
}

/**
 * Resolves `inner` (an absolute path inside the rootfs) the way the sandbox would see it:
 * symlinks are followed relative to the rootfs, never into the host. Returns the host path of
 * the final file or null when it does not exist inside the rootfs.
 */
export function resolveInRootfs(rootfs: string, inner: string): string | null {
  const root = path.resolve(rootfs);
  let pending = inner.split('/').filter((part) => part !== '' && part !== '.');
  const resolved: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const host = path.join(root, ...resolved, part);
    let st;
    try {
      st = lstatSync(host);
    } catch {
      return null;
    }
    if (st.isSymbolicLink()) {
      if (++hops > 40) return null;
      const target = readlinkSync(host);
      const targetParts = target.split('/').filter((p) => p !== '' && p !== '.');
      if (target.startsWith('/')) resolved.length = 0;
      pending = [...targetParts, ...pending];
      continue;
    }
    resolved.push(part);
  }
  return path.join(root, ...resolved);
}

export interface RootfsInspection {
  path: string | null;
  /** The rootfs exists and has an executable `/bin/sh`. */
  valid: boolean;
  /** `/usr/bin/node` is present (needed by node agents). */
  node: boolean;
  message: string;
  /** Fix lines for what is missing (empty when all is well). */
  fixes: string[];
}

function makeRootfsFix(where: string): string {
  return `build one with \`scripts/make-rootfs.sh ${where}\``;
}

/** Checks a rootfs directory: present, a directory, with bin/sh (and usr/bin/node). */
export function inspectRootfs(rootfs: string | undefined | null): RootfsInspection {
  if (rootfs === undefined || rootfs === null || rootfs === '') {
    return {
      path: null,
      valid: false,
      node: false,
      message: 'no gVisor rootfs configured (COVENANT_GVISOR_ROOTFS is not set)',
      fixes: [`set COVENANT_GVISOR_ROOTFS to a rootfs directory; ${makeRootfsFix('/var/lib/covenant/rootfs')}`],
    };
  }
  if (!path.isAbsolute(rootfs)) {
    return {
      path: rootfs,
      valid: false,
      node: false,
      message: `gVisor rootfs ${rootfs} is not an absolute path`,
      fixes: [`set COVENANT_GVISOR_ROOTFS to an absolute path; ${makeRootfsFix(path.resolve(rootfs))}`],
    };
  }
  let isDir: boolean;
  try {
    isDir = statSync(rootfs).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    const exists = existsSync(rootfs);
    return {
      path: rootfs,
      valid: false,
      node: false,
      message: exists ? `gVisor rootfs ${rootfs} is not a directory` : `gVisor rootfs ${rootfs} does not exist`,
      fixes: [makeRootfsFix(rootfs)],
    };
  }
  const sh = resolveInRootfs(rootfs, '/bin/sh');
  const shOk = sh !== null && isExecutableFile(sh);
  const node = resolveInRootfs(rootfs, '/usr/bin/node');
  const nodeOk = node !== null && isExecutableFile(node);
  if (!shOk) {
    return {
      path: rootfs,
      valid: false,
      node: nodeOk,
      message: `rootfs ${rootfs} has no bin/sh`,
      fixes: [makeRootfsFix(rootfs)],
    };
  }
  if (!nodeOk) {
    return {
      path: rootfs,
      valid: true,
      node: false,
      message: `rootfs ${rootfs} has bin/sh but no usr/bin/node (node agents cannot run)`,
      fixes: [`rebuild it with \`scripts/make-rootfs.sh ${rootfs}\` to add node`],
    };
  }
  return { path: rootfs, valid: true, node: true, message: `rootfs ${rootfs} has bin/sh and usr/bin/node`, fixes: [] };
}

export interface KernelCheck {
  ok: boolean;
  message: string;
  fixes: string[];
}

function parseKernelVersion(release: string): [number, number] | null {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/** Memory limits need a memory cgroup runsc can use (cgroup v1 memory controller or cgroup v2). */
function memoryCgroupAvailable(): boolean {
  if (existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes')) return true;
  try {
    return readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').split(/\s+/).includes('memory');
  } catch {
    return false;
  }
}

/** Platform, kernel version (gVisor needs Linux >= 4.14), namespaces, cgroups and privileges. */
export function checkKernel(): KernelCheck {
  if (process.platform !== 'linux') {
    return {
      ok: false,
      message: `gVisor needs Linux; this host runs ${process.platform}`,
      fixes: ['use the trusted-local backend on this host, or run covenantd on Linux for linux-gvisor'],
    };
  }
  if (process.arch !== 'x64' && process.arch !== 'arm64') {
    return {
      ok: false,
      message: `gVisor supports x86_64 and arm64; this host is ${process.arch}`,
      fixes: ['run covenantd on an x86_64 or arm64 Linux host for linux-gvisor'],
    };
  }
  const release = os.release();
  const version = parseKernelVersion(release);
  if (version === null || version[0] < 4 || (version[0] === 4 && version[1] < 14)) {
    return {
      ok: false,
      message: `Linux ${release} is older than 4.14, which gVisor requires`,
      fixes: ['upgrade the kernel to Linux 4.14 or newer'],
    };
  }
  const missingNs = ['user', 'pid', 'net', 'mnt', 'ipc', 'uts'].filter((ns) => !existsSync(`/proc/self/ns/${ns}`));
  if (missingNs.length > 0) {
    return {
      ok: false,
      message: `Linux ${release} lacks namespaces: ${missingNs.join(', ')}`,
      fixes: ['enable namespaces in the kernel (CONFIG_NAMESPACES and friends)'],
    };
  }
  const notes: string[] = [];
  const fixes: string[] = [];
  if (!memoryCgroupAvailable()) {
    notes.push('no memory cgroup: runsc cannot enforce agent memory limits');
    fixes.push('mount the cgroup memory controller (cgroup v1 `memory` or cgroup v2 with `memory` enabled)');
  }
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    notes.push('covenantd is not root: runsc cannot create cgroups for the memory limit');
    fixes.push('run covenantd as root for linux-gvisor (runsc --rootless would skip the memory limit)');
  }
  const ok = notes.length === 0;
  return {
    ok,
    message: ok ? `Linux ${release} (${process.arch}): namespaces and memory cgroup available` : `Linux ${release}: ${notes.join('; ')}`,
    fixes,
  };
}

/** `runsc --version` → the version string (first line, `runsc version X`). */
export function runscVersion(runscPath: string, timeoutMs = 5000): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(runscPath, ['--version'], { timeout: timeoutMs, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } }, (err, stdout) => {
      if (err) {
        resolve(null);
        return;
      }
      const text = String(stdout);
      const m = /runsc version (\S+)/.exec(text);
      resolve(m ? (m[1] as string) : (text.split('\n')[0]?.trim() || null));
    });
  });
}

export interface GvisorReadiness {
  runsc: { found: boolean; path: string | null; version: string | null };
  rootfs: { path: string | null; valid: boolean; node: boolean; message: string };
  kernel: { ok: boolean; message: string };
  ready: boolean;
  fixes: string[];
}

export interface GvisorReadinessOptions {
  runscPath?: string;
  /** Defaults to `COVENANT_GVISOR_ROOTFS`. */
  rootfs?: string;
}

/** What `covenant doctor` reports for the linux-gvisor backend; every problem has a fix line. */
export async function checkGvisorReadiness(options: GvisorReadinessOptions = {}): Promise<GvisorReadiness> {
  const fixes: string[] = [];
  const location = locateRunsc(options.runscPath);
  let version: string | null = null;
  if (location.found && location.path !== null) {
    version = await runscVersion(location.path);
    if (version === null) fixes.push(`\`${location.path} --version\` failed: reinstall gVisor with \`apt-get install --reinstall runsc\``);
  } else {
    fixes.push(`${location.message}: ${RUNSC_INSTALL_FIX}`);
  }
  const rootfsPath = options.rootfs ?? process.env.COVENANT_GVISOR_ROOTFS;
  const rootfs = inspectRootfs(rootfsPath);
  fixes.push(...rootfs.fixes.map((fix) => `${rootfs.message}: ${fix}`));
  const kernel = checkKernel();
  fixes.push(...kernel.fixes);
  const runscOk = location.found && version !== null;
  return {
    runsc: { found: location.found, path: location.path, version },
    rootfs: { path: rootfs.path, valid: rootfs.valid, node: rootfs.node, message: rootfs.message },
    kernel: { ok: kernel.ok, message: kernel.message },
    ready: runscOk && rootfs.valid && kernel.ok,
    fixes,
  };
}
