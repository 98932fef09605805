// `npm run bench`: every ratio an issue names, measured side by side in one run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_BIN, REPO_ROOT, spawnDaemon } from '../../test/helpers/binaries.js';
import { tempDir } from '../../test/helpers/temp-home.js';
import { freePort } from '../harness/daemon.js';
import { benchBwrapDispatch } from './bwrap-dispatch.js';
import { benchCapabilityAudit } from './capability-audit.js';
import { benchCliStartup } from './cli-startup.js';
import { benchGvisorDispatch, benchTrustedLocalDispatch } from './dispatch.js';
import { benchHttpVsIpc } from './http-vs-ipc.js';
import { benchIpcPing } from './ipc-ping.js';
import { benchMcp } from './mcp.js';
import { benchMemorySearch } from './memory-search.js';
import { benchReceiptsFlush } from './receipts-flush.js';
import { formatRatio, type Ratio } from './stats.js';

async function main(): Promise<void> {
  const { dir, cleanup } = tempDir('covenant-bench-');
  const home = join(dir, 'home');
  const httpPort = await freePort();
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
  try {
    const token = readFileSync(join(home, 'peers', 'operator.token'), 'utf8').trim();
    ratios.push(await benchIpcPing(daemon.sock, token, dir));
    ratios.push(benchCliStartup(CLI_BIN, env));
    ratios.push(benchCapabilityAudit(dir));
    ratios.push(await benchReceiptsFlush(dir));
    ratios.push(await benchHttpVsIpc(daemon.sock, `http://127.0.0.1:${httpPort}`, token));
    ratios.push(...(await benchMemorySearch(dir)));
    ratios.push(...(await benchMcp(dir)));
    ratios.push(benchTrustedLocalDispatch(REPO_ROOT, CLI_BIN, env));
    const bwrap = await benchBwrapDispatch(REPO_ROOT, CLI_BIN, env, daemon.sock, token, dir);
    if (typeof bwrap === 'string') skipped.push(bwrap);
    else ratios.push(bwrap);
    const gvisor = await benchGvisorDispatch(REPO_ROOT, CLI_BIN, env, dir);
    if (typeof gvisor === 'string') skipped.push(gvisor);
    else ratios.push(gvisor);
  } finally {
    await daemon.stop();
    cleanup();
  }
  console.log(`covenant bench — node ${process.version}, ${new Date().toISOString()}`);
  for (const ratio of ratios) console.log(formatRatio(ratio));
  for (const line of skipped) console.log(line);
  console.log(JSON.stringify({ kind: 'bench_report', ratios }));
}

await main();
