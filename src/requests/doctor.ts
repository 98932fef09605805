/**
 * `covenant doctor` (SPEC 13, 18): what the daemon can tell about its host, one check per line,
 * each with a fix. `ok: true` fine, `ok: false` broken (the CLI exits 1), `ok: null` skipped or
 * not applicable (e.g. gVisor when no agent uses it, the model when none is configured).
 */
import { lstatSync } from 'node:fs';
import type { z } from 'zod';
import { formatProblem, type Config } from '../config/index.js';
import { verifyAuditSinceCheckpoint } from '../audit/index.js';
import { COVENANT_VERSION } from '../core/index.js';
import type { DoctorCheckSchema } from '../protocol/index.js';
import { latestSchemaVersion, schemaVersion } from '../store/index.js';
import { checkGvisorReadiness, probeBwrap } from '../runtime/index.js';
import type { DaemonContext } from './context.js';

export type DoctorCheck = z.infer<typeof DoctorCheckSchema>;

const MODEL_PROBE_TIMEOUT_MS = 3000;

function modeOf(path: string): { mode: number; symlink: boolean; kind: 'dir' | 'file' | 'other' } | null {
  try {
    const st = lstatSync(path);
    return {
      mode: st.mode & 0o777,
      symlink: st.isSymbolicLink(),
      kind: st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other',
    };
  } catch {
    return null;
  }
}

function homeModes(ctx: DaemonContext): DoctorCheck {
  const p = ctx.paths;
  const dirs = [p.home, p.identityDir, p.peersDir, p.logsDir, p.agentsDir];
  const files = [p.localKey, p.operatorToken, p.db];
  const problems: string[] = [];
  const fixes: string[] = [];
  for (const dir of dirs) {
    const st = modeOf(dir);
    if (st === null) continue; // created on demand (agents/)
    if (st.symlink || st.kind !== 'dir') {
      problems.push(`${dir} is not a real directory`);
      fixes.push(`replace ${dir} with a real directory (mode 0700)`);
    } else if ((st.mode & 0o077) !== 0) {
      problems.push(`${dir} is mode ${st.mode.toString(8)}`);
      fixes.push(`chmod 700 ${dir}`);
    }
  }
  for (const file of files) {
    const st = modeOf(file);
    if (st === null) {
      if (file === p.operatorToken) {
        problems.push(`${file} is missing`);
        fixes.push('run `covenantd --recover-operator` with the daemon stopped');
      }
      continue;
    }
    if (st.symlink || st.kind !== 'file') {
      problems.push(`${file} is not a regular file`);
      fixes.push(`replace ${file} with the real file (mode 0600)`);
    } else if ((st.mode & 0o077) !== 0) {
      problems.push(`${file} is mode ${st.mode.toString(8)}`);
      fixes.push(`chmod 600 ${file}`);
    }
  }
  if (problems.length > 0) return { name: 'home_modes', ok: false, detail: problems.join('; '), fix: fixes.join('; ') };
  return { name: 'home_modes', ok: true, detail: `${p.home}: directories 0700, key, token and database 0600`, fix: null };
}

function schema(ctx: DaemonContext): DoctorCheck {
  const current = schemaVersion(ctx.db);
  const latest = latestSchemaVersion();
  return current === latest
    ? { name: 'schema_version', ok: true, detail: `schema version ${current} (latest)`, fix: null }
    : {
        name: 'schema_version',
        ok: false,
        detail: `schema version ${current}, this covenantd expects ${latest}`,
        fix: 'restart covenantd so it applies its migrations (or upgrade covenant if the database is newer)',
      };
}

function storeIntegrity(ctx: DaemonContext): DoctorCheck {
  const rows = ctx.db.pragma('quick_check') as Array<{ quick_check: string }>;
  const messages = rows.map((r) => r.quick_check);
  return messages.length === 1 && messages[0] === 'ok'
    ? { name: 'store_integrity', ok: true, detail: 'SQLite quick_check: ok', fix: null }
    : {
        name: 'store_integrity',
        ok: false,
        detail: `SQLite quick_check: ${messages.slice(0, 3).join('; ')}`,
        fix: `stop covenantd and restore ${ctx.paths.db} from a backup`,
      };
}

function installedAgents(ctx: DaemonContext): DoctorCheck {
  const agents = ctx.runtime.agents.list();
  const broken = ctx.runtime.agents.unloadable();
  const listed = agents.map((a) => `${a.id}@${a.manifest.agent.version} (${a.backend})`).join(', ');
  if (broken.length > 0) {
    return {
      name: 'installed_agents',
      ok: false,
      detail: `not loadable (package missing or unreadable manifest): ${broken.join(', ')}`,
      fix: `reinstall with \`covenant agents install <package-dir>\` or remove with \`covenant agents remove ${broken[0]}\``,
    };
  }
  return {
    name: 'installed_agents',
    ok: true,
    detail: agents.length === 0 ? 'no agents installed (intents are answered "unrouted"; install one with `covenant agents install <dir>`)' : `${agents.length} installed: ${listed}`,
    fix: null,
  };
}

/** Which backend is the default and why; whether bwrap works when agents need it. */
async function runtimeBackend(ctx: DaemonContext): Promise<DoctorCheck> {
  const runtime = ctx.runtime;
  const agents = runtime.agents.list();
  const bwrapUsers = agents.filter((a) => a.backend === 'linux-bwrap').map((a) => a.id);
  const trustedUsers = agents.filter((a) => a.backend === 'trusted-local').map((a) => a.id);
  const head = `default runtime backend ${runtime.defaultBackend}: ${runtime.defaultBackendReason}`;
  const trustedNote =
    trustedUsers.length > 0
      ? `; trusted-local (no isolation: the agent runs on the host${process.getuid?.() === 0 ? ', as nobody unless its manifest opts in to root' : ' as the daemon\'s user and can read the home'}) for ${trustedUsers.join(', ')}`
      : '';
  if (runtime.defaultBackend === 'linux-bwrap' || bwrapUsers.length > 0) {
    const problem = await probeBwrap(runtime.bwrapHost);
    return {
      name: 'runtime_backend',
      ok: problem === null,
      detail: `${head}; ${problem === null ? 'bwrap starts a sandbox here' : `bwrap cannot start a sandbox: ${problem}`}${trustedNote}`,
      fix: problem === null ? null : 'install bubblewrap (`apt-get install bubblewrap`) and allow user namespaces, or set COVENANT_RUNTIME_BACKEND; see docs/bwrap-runner.md',
    };
  }
  if (runtime.defaultBackend === 'trusted-local') {
    return {
      name: 'runtime_backend',
      ok: null,
      detail: `${head}; trusted-local is no isolation${trustedNote}`,
      fix: runtime.bwrapHost.bwrap === null ? 'install bubblewrap (`apt-get install bubblewrap`) to sandbox agents; see docs/bwrap-runner.md' : null,
    };
  }
  return { name: 'runtime_backend', ok: true, detail: `${head}${trustedNote}`, fix: null };
}

async function gvisorChecks(ctx: DaemonContext): Promise<DoctorCheck[]> {
  const runtime = ctx.runtime;
  const users = runtime.agents.list().filter((a) => a.backend === 'linux-gvisor').map((a) => a.id);
  const needed = runtime.defaultBackend === 'linux-gvisor' || users.length > 0;
  const why = needed
    ? runtime.defaultBackend === 'linux-gvisor'
      ? 'COVENANT_RUNTIME_BACKEND=linux-gvisor'
      : `used by ${users.join(', ')}`
    : 'not needed: no installed agent uses linux-gvisor';
  const readiness = await checkGvisorReadiness(runtime.gvisorRootfs === undefined ? {} : { rootfs: runtime.gvisorRootfs });
  const verdict = (good: boolean): boolean | null => (good ? true : needed ? false : null);

  const runscOk = readiness.runsc.found && readiness.runsc.version !== null;
  const runsc: DoctorCheck = {
    name: 'runsc',
    ok: verdict(runscOk),
    detail: runscOk
      ? `runsc ${readiness.runsc.version} at ${readiness.runsc.path} (${why})`
      : `${readiness.runsc.found ? `runsc at ${readiness.runsc.path} does not answer --version` : 'runsc not found on PATH'} (${why})`,
    fix: runscOk ? null : 'install gVisor: `apt-get install runsc` (Debian 12+); see docs/gvisor-runner.md',
  };
  const rootfsOk = readiness.rootfs.valid && readiness.rootfs.node;
  const rootfs: DoctorCheck = {
    name: 'gvisor_rootfs',
    ok: verdict(rootfsOk),
    detail: `${readiness.rootfs.message} (${why})`,
    fix: rootfsOk
      ? null
      : `build one with \`scripts/make-rootfs.sh /var/lib/covenant/rootfs\` and start covenantd with COVENANT_GVISOR_ROOTFS set to it`,
  };
  const kernel: DoctorCheck = {
    name: 'gvisor_kernel',
    ok: verdict(readiness.kernel.ok),
    detail: `${readiness.kernel.message} (${why})`,
    fix: readiness.kernel.ok ? null : (readiness.fixes.find((f) => /kernel|root|cgroup|Linux/.test(f)) ?? 'see docs/gvisor-runner.md'),
  };
  return [runsc, rootfs, kernel];
}

/** `[model]` of the configuration in use, overridden by COVENANT_OLLAMA_ENDPOINT. Null: no Ollama endpoint configured. */
export function configuredModelEndpoint(model: Config['model'], env: NodeJS.ProcessEnv = process.env): { endpoint: string; source: string } | null {
  const fromEnv = env.COVENANT_OLLAMA_ENDPOINT?.trim();
  if (fromEnv) return { endpoint: fromEnv, source: 'COVENANT_OLLAMA_ENDPOINT' };
  if (model.provider !== 'ollama') return null;
  return { endpoint: model.endpoint, source: 'config.toml [model]' };
}

/** The rows since the newest checkpoint, as covenantd checks them at start (the whole log: `covenant audit verify`). */
function auditTail(ctx: DaemonContext): DoctorCheck {
  const tail = verifyAuditSinceCheckpoint(ctx.db, ctx.identity.agentId.pubkey);
  if (tail.failures.length === 0) {
    return { name: 'audit_tail', ok: true, detail: `the ${tail.rows} audit rows since checkpoint seq ${tail.from_seq} verify`, fix: null };
  }
  const first = tail.failures[0]!;
  return {
    name: 'audit_tail',
    ok: false,
    detail: `the audit log does not verify since checkpoint seq ${tail.from_seq}: ${tail.failures.length} failure(s), first at seq ${first.seq}: ${first.reason}`,
    fix: 'run `covenant audit verify` for the whole report; the log may have been tampered with (docs/audit.md)',
  };
}

/** config.toml: the configuration in use, and whether the latest SIGHUP was refused. */
function configFile(ctx: DaemonContext): DoctorCheck {
  const refusal = ctx.config.lastRefusal();
  if (refusal === null) return { name: 'config', ok: true, detail: `${ctx.paths.config}: valid, in use`, fix: null };
  const first = refusal.problems[0]!;
  return {
    name: 'config',
    ok: false,
    detail: `E_CONFIG_INVALID: a SIGHUP at ${new Date(refusal.at_ms).toISOString()} was refused, covenantd runs with the previous configuration: ${formatProblem(ctx.paths.config, first)}${refusal.problems.length > 1 ? ` (and ${refusal.problems.length - 1} more)` : ''}`,
    fix: `run \`covenant config check\`, fix ${ctx.paths.config}, then send covenantd SIGHUP`,
  };
}

async function modelEndpoint(ctx: DaemonContext): Promise<DoctorCheck> {
  const model = ctx.config.current().model;
  const configured = configuredModelEndpoint(model);
  if (configured === null) {
    return {
      name: 'model_endpoint',
      ok: null,
      detail:
        model.provider === 'none'
          ? 'no model configured (provider none): the research agent answers offline, the embedder is the local one'
          : `provider ${model.provider}: no HTTP endpoint to probe`,
      fix: null,
    };
  }
  const url = `${configured.endpoint.replace(/\/+$/, '')}/api/version`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(MODEL_PROBE_TIMEOUT_MS) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const body = (await res.json()) as { version?: unknown };
    return {
      name: 'model_endpoint',
      ok: true,
      detail: `Ollama ${typeof body.version === 'string' ? body.version : '(unknown version)'} at ${configured.endpoint} (${configured.source})`,
      fix: null,
    };
  } catch (error) {
    return {
      name: 'model_endpoint',
      ok: false,
      detail: `${configured.endpoint} (${configured.source}) is not reachable: ${(error as Error).message}`,
      fix: `start Ollama (\`ollama serve\`) or point ${configured.source} at a running endpoint`,
    };
  }
}

/** Each MCP server (SPEC 11) with its state and the last lines of its stderr log. */
function mcpServers(ctx: DaemonContext): DoctorCheck[] {
  const { configError, servers } = ctx.mcp.health();
  const checks: DoctorCheck[] = [];
  if (configError !== null) {
    checks.push({ name: 'mcp_config', ok: false, detail: `E_CONFIG_INVALID: ${configError}`, fix: `fix ${ctx.paths.config}, then send covenantd SIGHUP or run \`covenant tools restart <server>\`` });
  }
  if (servers.length === 0 && configError === null) {
    checks.push({ name: 'mcp_servers', ok: null, detail: 'no [[mcp.server]] in config.toml: only the built-in tools', fix: null });
  }
  for (const server of servers) {
    const ok = server.state === 'up' ? true : server.state === 'disabled' ? null : server.state === 'starting' ? null : false;
    const error = server.last_error === null ? '' : `; last error: ${server.last_error}`;
    const check: DoctorCheck = {
      name: `mcp_server:${server.name}`,
      ok,
      detail: `${server.state}, ${server.tools.length} tools, ${server.restarts} restarts${error}${server.log_path === null ? '' : `; log ${server.log_path}`}`,
      fix:
        ok === false
          ? `read ${server.log_path ?? 'its [[mcp.server]] entry'}, fix the server or its [[mcp.server]] entry in ${ctx.paths.config}, then \`covenant tools restart ${server.name}\``
          : null,
    };
    if (server.log_tail.length > 0) check.log_tail = server.log_tail;
    checks.push(check);
  }
  return checks;
}

export async function runDoctor(ctx: DaemonContext): Promise<DoctorCheck[]> {
  const daemon: DoctorCheck = {
    name: 'daemon',
    ok: true,
    detail: `covenantd ${COVENANT_VERSION} (pid ${process.pid}) answers on ${ctx.paths.sock}; default runtime backend ${ctx.runtime.defaultBackend}`,
    fix: null,
  };
  return [
    daemon,
    homeModes(ctx),
    configFile(ctx),
    auditTail(ctx),
    schema(ctx),
    storeIntegrity(ctx),
    installedAgents(ctx),
    await runtimeBackend(ctx),
    ...(await gvisorChecks(ctx)),
    await modelEndpoint(ctx),
    ...mcpServers(ctx),
  ];
}
