// `npm run bench`: every ratio an issue names, measured side by side in one run, printed as a
// table; `-- --json` also prints one JSON line (the table then goes to stderr). `-- --only a,b`
// runs the named benches only (names in BENCHES).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_BIN, REPO_ROOT, spawnDaemon } from '../../test/helpers/binaries.js';
import { tempDir } from '../../test/helpers/temp-home.js';
import { freePort } from '../harness/daemon.js';
import { benchA2aProtocol } from './a2a.js';
import { benchA2aFederation } from './a2a-federation.js';
import { benchBwrapDispatch } from './bwrap-dispatch.js';
import { benchCapabilityAudit } from './capability-audit.js';
import { benchCliStartup } from './cli-startup.js';
import { benchBackToBackIntents, benchGvisorDispatch, benchTrustedLocalDispatch } from './dispatch.js';
import { benchGroupCommit } from './group-commit.js';
import { benchIdle } from './idle.js';
import { benchHttpInProcess } from './http-in-process.js';
import { benchHttpInstructions } from './http-instructions.js';
import { benchHttpVsIpc } from './http-vs-ipc.js';
import { formatSteal, readCpuTicks, stealShare } from './host-steal.js';
import { benchIpcPing } from './ipc-ping.js';
import { benchMcp } from './mcp.js';
import { benchLocalModel } from './local-model.js';
import { benchMemoryReadmes, benchMemorySearch } from './memory-search.js';
import { benchReceiptsFlush } from './receipts-flush.js';
import { benchRefillLoopBlock } from './refill-loop-block.js';
import { formatTable, type Ratio } from './stats.js';

/** What every bench gets: the shared daemon, its environment and a scratch directory. */
export interface BenchContext {
  dir: string;
  env: NodeJS.ProcessEnv;
  sock: string;
  daemonPid: number;
  token: string;
  httpUrl: string;
}

type Bench = (ctx: BenchContext) => Promise<Ratio | Ratio[] | string>;

/** Run in this order; a string result is a skip notice. */
const BENCHES: Record<string, Bench> = {
  // First: on the fresh daemon, before any other bench has loaded it.
  idle: async (c) => benchIdle(c.daemonPid, c.sock, c.token),
  'ipc-ping': async (c) => benchIpcPing(c.sock, c.daemonPid, c.token, c.dir),
  'cli-startup': async (c) => benchCliStartup(CLI_BIN, c.env),
  'capability-audit': async (c) => benchCapabilityAudit(c.dir),
  'group-commit': async (c) => benchGroupCommit(c.env, c.dir),
  'receipts-flush': async (c) => benchReceiptsFlush(c.dir),
  'http-vs-ipc': async (c) => benchHttpVsIpc(c.sock, c.daemonPid, c.httpUrl, c.token, c.dir),
  // A covenantd of its own, with the bare route loaded into its process.
  'http-in-process': async (c) => benchHttpInProcess(c.httpUrl, c.token, c.env, c.dir),
  // A covenantd and a bare route of their own, each under valgrind's callgrind.
  'http-instructions': async (c) => benchHttpInstructions(c.env, c.dir),
  'memory-quality': async (c) => benchMemoryReadmes(c.dir),
  'memory-search': async (c) => benchMemorySearch(c.dir),
  mcp: async (c) => benchMcp(c.dir),
  'a2a-protocol': async (c) => benchA2aProtocol(REPO_ROOT, c.sock, c.token, c.httpUrl),
  'dispatch-trusted-local': async (c) => [...(await benchTrustedLocalDispatch(REPO_ROOT, CLI_BIN, c.env, c.daemonPid, c.dir)), await benchBackToBackIntents(c.env, c.sock, c.token, c.dir)],
  'refill-loop-block': async (c) => benchRefillLoopBlock(REPO_ROOT, c.dir, c.env.COVENANT_GVISOR_ROOTFS),
  'dispatch-bwrap': async (c) => benchBwrapDispatch(REPO_ROOT, CLI_BIN, c.env, c.sock, c.daemonPid, c.token, c.dir),
  'dispatch-gvisor': async (c) => benchGvisorDispatch(REPO_ROOT, CLI_BIN, c.env, c.dir),
  // Its own daemon, with [model] llama-cpp on the generated test model.
  'local-model': async (c) => benchLocalModel(CLI_BIN, c.dir),
  // Two daemons of its own (B with its gateway): A → B → A vs SendMessage straight to B.
  'a2a-federation': async (c) => benchA2aFederation(c.dir),
};

function parseArgs(argv: string[]): { json: boolean; only: string[] } {
  const json = argv.includes('--json');
  const at = argv.indexOf('--only');
  const only = at >= 0 ? (argv[at + 1] ?? '').split(',').filter(Boolean) : Object.keys(BENCHES);
  const unknown = only.filter((name) => !(name in BENCHES));
  if (unknown.length > 0) throw new Error(`unknown bench ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`);
  return { json, only };
}

async function main(): Promise<void> {
  const { json, only } = parseArgs(process.argv.slice(2));
  const { dir, cleanup } = tempDir('covenant-bench-');
  const home = join(dir, 'home');
  const httpPort = await freePort();
  // No NODE_EXTRA_CA_CERTS (or any other inherited variable): it adds ~40 ms to every node start.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    COVENANT_HOME: home,
    COVENANT_LOG_LEVEL: 'warn',
    COVENANT_HTTP_BIND_ADDR: '127.0.0.1',
    COVENANT_HTTP_PORT: String(httpPort),
    // The bench measures latency, not the per-token rate limit.
    COVENANT_HTTP_RATE: '100000',
    COVENANT_HTTP_BURST: '100000',
    // The default is linux-bwrap where bwrap is installed; `hello` stays trusted-local for the
    // trusted-local ratio, and the bwrap ratio names both backends in its manifests.
    COVENANT_RUNTIME_BACKEND: 'trusted-local',
    ...(process.env.COVENANT_GVISOR_ROOTFS ? { COVENANT_GVISOR_ROOTFS: process.env.COVENANT_GVISOR_ROOTFS } : {}),
  };
  const daemon = await spawnDaemon(home, env, []);
  const ratios: Ratio[] = [];
  const skipped: string[] = [];
  const steal: Record<string, number> = {};
  try {
    const token = readFileSync(join(home, 'peers', 'operator.token'), 'utf8').trim();
    const ctx: BenchContext = { dir, env, sock: daemon.sock, daemonPid: daemon.child.pid!, token, httpUrl: `http://127.0.0.1:${httpPort}` };
    for (const name of only) {
      const before = readCpuTicks();
      const result = await BENCHES[name]!(ctx);
      steal[name] = stealShare(before, readCpuTicks());
      if (typeof result === 'string') skipped.push(result);
      else ratios.push(...(Array.isArray(result) ? result : [result]));
    }
  } finally {
    await daemon.stop();
    cleanup();
  }
  const table = [`covenant bench — node ${process.version}, ${new Date().toISOString()}`, formatTable(ratios), ...skipped, formatSteal(steal)].join('\n');
  if (json) {
    process.stderr.write(`${table}\n`);
    process.stdout.write(`${JSON.stringify({ kind: 'bench_report', node: process.version, at: new Date().toISOString(), ratios, skipped, steal })}\n`);
  } else {
    process.stdout.write(`${table}\n`);
  }
}

await main();
