// `npm run bench`: every ratio an issue names, measured side by side in one run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_BIN, spawnDaemon } from '../../test/helpers/binaries.js';
import { tempDir } from '../../test/helpers/temp-home.js';
import { benchCliStartup } from './cli-startup.js';
import { benchIpcPing } from './ipc-ping.js';
import { formatRatio, type Ratio } from './stats.js';

async function main(): Promise<void> {
  const { dir, cleanup } = tempDir('covenant-bench-');
  const home = join(dir, 'home');
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, COVENANT_HOME: home, COVENANT_LOG_LEVEL: 'warn' };
  const daemon = await spawnDaemon(home, env);
  const ratios: Ratio[] = [];
  try {
    const token = readFileSync(join(home, 'peers', 'operator.token'), 'utf8').trim();
    ratios.push(await benchIpcPing(daemon.sock, token, dir));
    ratios.push(benchCliStartup(CLI_BIN, env));
  } finally {
    await daemon.stop();
    cleanup();
  }
  console.log(`covenant bench — node ${process.version}, ${new Date().toISOString()}`);
  for (const ratio of ratios) console.log(formatRatio(ratio));
  console.log(JSON.stringify({ kind: 'bench_report', ratios }));
}

await main();
