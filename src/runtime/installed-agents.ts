/**
 * Installed agents (SPEC 12): `covenant agents install <dir>` validates a package with
 * `loadAgentPackage`, copies it into `$COVENANT_HOME/agents/<id>/`, records it in the `agents`
 * table and makes it routable at once (no restart). `agents remove <id>` undoes that.
 *
 * The copy is what runs: the daemon never executes code from the directory the operator named.
 * - Symlinks are followed only when they point at a regular file inside the package (the copy
 *   holds the file's content, not the link); a link that leaves the package, dangles, or names
 *   a directory refuses the install. Sockets, FIFOs and devices refuse it too.
 * - A package holds at most 10,000 files and 256 MiB.
 * - The copy is made in a staging directory, validated again, hashed, and only then swapped
 *   into place; the database row and the `agent_installed` audit row are written in one
 *   transaction, and a failed transaction puts the previous package back.
 *
 * `package_sha256` is SHA-256 over the installed tree: one line per regular file, sorted by
 * relative path, `<path>\0<x|->\0<sha256 of the content>\n` (`x` when any execute bit is set).
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import path from 'node:path';
import type { AuditLog, AuditPayload } from '../audit/index.js';
import { CovenantError, quoteInput, type Clock } from '../core/index.js';
import type { AgentId } from '../identity/index.js';
import type { Db } from '../store/index.js';
import { AgentManifestSchema, loadAgentPackage, type AgentManifest, type AgentPackage } from './manifest.js';

export type RuntimeBackend = 'trusted-local' | 'linux-bwrap' | 'linux-gvisor';
export const RUNTIME_BACKENDS: readonly RuntimeBackend[] = ['trusted-local', 'linux-bwrap', 'linux-gvisor'];
/** The default when bwrap is not installed (or not on Linux). */
export const DEFAULT_RUNTIME_BACKEND: RuntimeBackend = 'trusted-local';

export const MAX_PACKAGE_FILES = 10_000;
export const MAX_PACKAGE_BYTES = 256 * 1024 * 1024;

/**
 * `COVENANT_RUNTIME_BACKEND`: unset or empty means the default (linux-bwrap when bwrap is
 * installed, see `selectDefaultBackend`, else trusted-local); anything but a backend name is
 * refused (the daemon does not start with a misspelt backend).
 */
export function parseRuntimeBackend(value: string | undefined, fallback: RuntimeBackend = DEFAULT_RUNTIME_BACKEND): RuntimeBackend {
  if (value === undefined || value.trim() === '') return fallback;
  const v = value.trim();
  if ((RUNTIME_BACKENDS as readonly string[]).includes(v)) return v as RuntimeBackend;
  throw new CovenantError(
    'E_BAD_REQUEST',
    `COVENANT_RUNTIME_BACKEND=${JSON.stringify(v.slice(0, 200))} is not a runtime backend; use "trusted-local", "linux-bwrap" or "linux-gvisor" (or unset it)`,
  );
}

/** The daemon's default backend and why (`covenant doctor` says it). */
export function selectDefaultBackend(value: string | undefined, bwrapPath: string | null): { backend: RuntimeBackend; reason: string } {
  if (value !== undefined && value.trim() !== '') {
    const backend = parseRuntimeBackend(value);
    return { backend, reason: `COVENANT_RUNTIME_BACKEND=${backend}` };
  }
  if (bwrapPath !== null) return { backend: 'linux-bwrap', reason: `bubblewrap is installed (${bwrapPath})` };
  return {
    backend: DEFAULT_RUNTIME_BACKEND,
    reason: 'bubblewrap (bwrap) is not installed, so agents run unsandboxed as trusted-local; install it (`apt-get install bubblewrap`) to sandbox them',
  };
}

/**
 * Installed copies are readable (not writable) by others, executables executable by all (the
 * package hash records only "any execute bit"), so an agent run as an unprivileged
 * user (trusted-local under a root daemon) can read its own package; the 0700 home still keeps
 * every other user out of the tree.
 */
export function shareInstalledTree(root: string): void {
  const walk = (dir: string) => {
    chmodSync(dir, 0o755);
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      const st = lstatSync(full);
      if (st.isDirectory()) walk(full);
      else if (st.isFile()) chmodSync(full, (st.mode & 0o111) !== 0 ? 0o755 : 0o644);
    }
  };
  walk(root);
}

/**
 * The backend an agent runs on: the manifest's `sandbox.backend`; otherwise `linux-gvisor` when
 * the manifest says `sandbox.required = true` (a required sandbox never falls back to an
 * unsandboxed run); otherwise the daemon's default (`COVENANT_RUNTIME_BACKEND`).
 */
export function effectiveBackend(manifest: AgentManifest, defaultBackend: RuntimeBackend): RuntimeBackend {
  if (manifest.sandbox.backend !== undefined) return manifest.sandbox.backend;
  if (manifest.sandbox.required) return 'linux-gvisor';
  return defaultBackend;
}

export interface InstalledAgent {
  id: string;
  manifest: AgentManifest;
  /** `$COVENANT_HOME/agents/<id>` (absolute, symlinks resolved). */
  packageDir: string;
  installedAt: number;
  packageSha256: string;
  /** The backend it runs on (see `effectiveBackend`). */
  backend: RuntimeBackend;
}

/** What the runners need to know about installs and removals (warm processes). */
export interface AgentLifecycleHooks {
  /** Before an agent's package directory is replaced or removed: stop its warm processes. */
  beforeChange?(id: string): Promise<void>;
  /** After an agent is (re)installed or loaded at start-up: prewarm it. */
  loaded?(agent: InstalledAgent): void;
}

export interface InstallResult {
  agent: InstalledAgent;
  replaced: boolean;
  previousVersion: string | null;
}

export interface RuntimeLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface InstalledAgentsOptions {
  db: Db;
  audit: AuditLog;
  clock: Clock;
  /** `$COVENANT_HOME/agents` */
  agentsDir: string;
  defaultBackend?: RuntimeBackend;
  hooks?: AgentLifecycleHooks;
  log?: RuntimeLog;
}

interface AgentRow {
  id: string;
  manifest: string;
  package_dir: string;
  installed_at: number;
  package_sha256: string;
}

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

/**
 * Checks what a copy would take before copying anything: symlinks stay inside the package and
 * name regular files, no special files, within the size limits. Returns nothing; throws
 * E_BAD_REQUEST naming the offending path (relative to the package).
 */
export function scanPackage(root: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const refuse = (rel: string, why: string) => new CovenantError('E_BAD_REQUEST', `agent package: ${rel}: ${why}`);
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const rel = path.relative(root, full);
      const st = lstatSync(full);
      if (st.isSymbolicLink()) {
        let target: string;
        try {
          target = realpathSync(full);
        } catch {
          throw refuse(rel, 'is a dangling symlink');
        }
        if (!isInside(root, target)) throw refuse(rel, 'is a symlink that points outside the package (only links to files inside it are copied)');
        const tst = statSync(target);
        if (!tst.isFile()) throw refuse(rel, 'is a symlink to a directory or special file; only links to regular files are supported');
        files += 1;
        bytes += tst.size;
      } else if (st.isDirectory()) {
        walk(full);
      } else if (st.isFile()) {
        files += 1;
        bytes += st.size;
      } else {
        throw refuse(rel, 'is not a regular file or directory (sockets, FIFOs and devices cannot be installed)');
      }
      if (files > MAX_PACKAGE_FILES) {
        throw new CovenantError('E_BAD_REQUEST', `agent package has more than ${MAX_PACKAGE_FILES} files; install a smaller package`);
      }
      if (bytes > MAX_PACKAGE_BYTES) {
        throw new CovenantError('E_BAD_REQUEST', `agent package is larger than ${MAX_PACKAGE_BYTES / (1024 * 1024)} MiB; install a smaller package`);
      }
    }
  };
  walk(root);
  return { files, bytes };
}

/** SHA-256 over the tree (see the file comment for the exact form). */
export function hashPackageTree(root: string): string {
  const lines: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      const st = lstatSync(full);
      if (st.isDirectory()) walk(full);
      else if (st.isFile()) {
        const rel = path.relative(root, full).split(path.sep).join('/');
        const digest = createHash('sha256').update(readFileSync(full)).digest('hex');
        lines.push(`${rel}\0${(st.mode & 0o111) !== 0 ? 'x' : '-'}\0${digest}\n`);
      }
    }
  };
  walk(root);
  lines.sort();
  const hash = createHash('sha256');
  for (const line of lines) hash.update(line, 'utf8');
  return hash.digest('hex');
}

export class InstalledAgents {
  private readonly db: Db;
  private readonly audit: AuditLog;
  private readonly clock: Clock;
  readonly agentsDir: string;
  readonly defaultBackend: RuntimeBackend;
  private hooks: AgentLifecycleHooks;
  private readonly log: RuntimeLog | undefined;
  private readonly agents = new Map<string, InstalledAgent>();
  /** Installs and removals run one at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: InstalledAgentsOptions) {
    this.db = options.db;
    this.audit = options.audit;
    this.clock = options.clock;
    this.agentsDir = path.resolve(options.agentsDir);
    this.defaultBackend = options.defaultBackend ?? DEFAULT_RUNTIME_BACKEND;
    this.hooks = options.hooks ?? {};
    this.log = options.log;
  }

  setHooks(hooks: AgentLifecycleHooks): void {
    this.hooks = hooks;
  }

  /**
   * Reads the `agents` table (at daemon start). A row whose manifest no longer validates or
   * whose package directory is gone is logged and left out of routing (`covenant doctor`
   * reports it; reinstalling fixes it).
   */
  load(): { loaded: number; skipped: string[] } {
    this.agents.clear();
    const skipped: string[] = [];
    const rows = this.db.prepare('SELECT * FROM agents ORDER BY id').all() as AgentRow[];
    for (const row of rows) {
      const parsed = AgentManifestSchema.safeParse(JSON.parse(row.manifest));
      const dir = path.join(this.agentsDir, row.id);
      if (!parsed.success || parsed.data.agent.id !== row.id) {
        this.log?.warn({ agent: row.id }, 'installed agent has a manifest this covenantd cannot read; reinstall it');
        skipped.push(row.id);
        continue;
      }
      if (!existsSync(path.join(dir, 'agent.toml'))) {
        this.log?.warn({ agent: row.id }, 'installed agent package directory is missing; reinstall it');
        skipped.push(row.id);
        continue;
      }
      try {
        shareInstalledTree(dir); // packages installed before trusted-local ran as nobody under root
      } catch (err) {
        this.log?.warn({ agent: row.id, err }, 'could not make the installed package readable for an unprivileged agent user');
      }
      const agent = this.toAgent(parsed.data, realpathSync(dir), row.installed_at, row.package_sha256);
      this.agents.set(agent.id, agent);
      this.hooks.loaded?.(agent);
    }
    return { loaded: this.agents.size, skipped };
  }

  /** Installed agents, sorted by id. */
  list(): InstalledAgent[] {
    return [...this.agents.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get(id: string): InstalledAgent | undefined {
    return this.agents.get(id);
  }

  /** Ids in the `agents` table that could not be loaded (missing package, unreadable manifest). */
  unloadable(): string[] {
    const rows = this.db.prepare('SELECT id FROM agents ORDER BY id').all() as Array<{ id: string }>;
    return rows.map((r) => r.id).filter((id) => !this.agents.has(id));
  }

  install(sourceDir: string, caller: AgentId): Promise<InstallResult> {
    return this.exclusive(() => this.doInstall(sourceDir, caller));
  }

  remove(id: string, caller: AgentId): Promise<InstalledAgent> {
    return this.exclusive(() => this.doRemove(id, caller));
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private toAgent(manifest: AgentManifest, packageDir: string, installedAt: number, sha: string): InstalledAgent {
    return {
      id: manifest.agent.id,
      manifest,
      packageDir,
      installedAt,
      packageSha256: sha,
      backend: effectiveBackend(manifest, this.defaultBackend),
    };
  }

  private async doInstall(sourceDir: string, caller: AgentId): Promise<InstallResult> {
    if (!path.isAbsolute(sourceDir)) {
      throw new CovenantError('E_BAD_REQUEST', 'the agent package directory must be an absolute path');
    }
    if (!existsSync(sourceDir)) {
      throw new CovenantError('E_NOT_FOUND', `agent package directory ${sourceDir} not found; give the directory that holds agent.toml`);
    }
    const source: AgentPackage = await loadAgentPackage(sourceDir);
    mkdirSync(this.agentsDir, { recursive: true, mode: 0o700 });
    const agentsReal = realpathSync(this.agentsDir);
    if (source.dir === agentsReal || isInside(source.dir, agentsReal)) {
      throw new CovenantError('E_BAD_REQUEST', `${sourceDir} contains the Covenant home; install from the agent's own package directory`);
    }
    scanPackage(source.dir);

    const staging = path.join(this.agentsDir, `.staging-${randomUUID()}`);
    try {
      try {
        cpSync(source.dir, staging, { recursive: true, dereference: true, errorOnExist: true, force: false });
      } catch (err) {
        throw new CovenantError('E_BAD_REQUEST', `could not copy the agent package: ${(err as Error).message.split(source.dir).join('<package>')}`);
      }
      shareInstalledTree(staging);
      const copy = await loadAgentPackage(staging);
      const id = copy.manifest.agent.id;
      if (id !== source.manifest.agent.id) {
        throw new CovenantError('E_CONFLICT', 'the agent package changed while it was being copied; try again');
      }
      const sha = hashPackageTree(staging);
      const previous = this.agents.get(id) ?? null;
      const previousRow = this.db.prepare('SELECT id FROM agents WHERE id = ?').get(id) as { id: string } | undefined;
      const replaced = previous !== null || previousRow !== undefined;
      const dest = path.join(this.agentsDir, id);

      await this.hooks.beforeChange?.(id);
      let trash: string | null = null;
      if (existsSync(dest)) {
        trash = path.join(this.agentsDir, `.trash-${randomUUID()}`);
        renameSync(dest, trash);
      }
      renameSync(staging, dest);
      const installedAt = this.clock.now();
      const agent = this.toAgent(copy.manifest, realpathSync(dest), installedAt, sha);
      try {
        this.db.transaction(() => {
          this.db
            .prepare(
              `INSERT INTO agents (id, manifest, package_dir, installed_at, package_sha256) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT(id) DO UPDATE SET manifest = excluded.manifest, package_dir = excluded.package_dir,
                 installed_at = excluded.installed_at, package_sha256 = excluded.package_sha256`,
            )
            .run(id, JSON.stringify(copy.manifest), agent.packageDir, installedAt, sha);
          const payload: AuditPayload<'agent_installed'> = {
            id,
            version: copy.manifest.agent.version,
            runtime: copy.manifest.agent.runtime,
            backend: agent.backend,
            package_sha256: sha,
            replaced,
          };
          if (previous) payload.previous_version = previous.manifest.agent.version;
          this.audit.append(caller, { kind: 'agent_installed', payload });
        })();
      } catch (err) {
        rmSync(dest, { recursive: true, force: true });
        if (trash) renameSync(trash, dest);
        if (previous) this.hooks.loaded?.(previous);
        throw err;
      }
      if (trash) rmSync(trash, { recursive: true, force: true });
      this.agents.set(id, agent);
      this.hooks.loaded?.(agent);
      this.log?.info({ agent: id, version: copy.manifest.agent.version, backend: agent.backend, replaced }, 'agent installed');
      return { agent, replaced, previousVersion: previous?.manifest.agent.version ?? null };
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }

  private async doRemove(id: string, caller: AgentId): Promise<InstalledAgent> {
    const row = this.db.prepare('SELECT * FROM agents WHERE id = ?').get(id) as AgentRow | undefined;
    const known = this.agents.get(id);
    if (!row && !known) {
      throw new CovenantError('E_NOT_FOUND', `no installed agent ${quoteInput(id)}; see \`covenant agents list\``);
    }
    await this.hooks.beforeChange?.(id);
    const version = known?.manifest.agent.version ?? (JSON.parse(row?.manifest ?? '{}') as { agent?: { version?: string } }).agent?.version ?? null;
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM agents WHERE id = ?').run(id);
      this.audit.append(caller, { kind: 'agent_removed', payload: { id, version, package_sha256: row?.package_sha256 ?? known?.packageSha256 ?? null } });
    })();
    this.agents.delete(id);
    const dir = path.join(this.agentsDir, id);
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch (err) {
      this.log?.warn({ agent: id, err }, 'could not delete the removed agent package directory');
    }
    const fallback: InstalledAgent = known ?? {
      id,
      manifest: JSON.parse(row!.manifest) as AgentManifest,
      packageDir: dir,
      installedAt: row!.installed_at,
      packageSha256: row!.package_sha256,
      backend: this.defaultBackend,
    };
    return fallback;
  }
}
