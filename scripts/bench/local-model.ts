// The local model through the daemon vs node-llama-cpp called directly, on the same generated
// GGUF in the same run (issue 13 item 8): generated tokens per second of a `model.chat` host call
// (timed inside the agent, around the call) against the same greedy chat in this process
// (target: at least 0.9 of it), and the time to first token of each (the provider's child
// measures its own).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { spawnDaemon } from '../../test/helpers/binaries.js';
// @ts-expect-error -- a plain .mjs script without declarations
import { testModelBytes } from '../make-test-model.mjs';
import { throughputRatio, type Ratio } from './stats.js';

const MAX_TOKENS = 200;
const RUNS = 5;
const MESSAGES = [
  { role: 'system', content: 'Answer from these passages:\n[1] the audit log is a hash chain' },
  { role: 'user', content: 'what is the audit log?' },
];

const AGENT_TOML = `[agent]\nid = "bench-chat"\nname = "Bench chat"\nversion = "0.1.0"\nruntime = "node"\nentry = "main.js"\nhost_calls = true\n\n[capabilities]\noptional = ["model.chat"]\n\n[resources]\nwarm = false\n`;
// One timed model.chat call; answers {ms, tokens, first_token_ms}.
const AGENT_MAIN = `let buf = '';
const lines = [];
let wake = null;
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => { buf += c; let i; while ((i = buf.indexOf('\\n')) !== -1) { lines.push(buf.slice(0, i)); buf = buf.slice(i + 1); } if (wake) wake(); });
const next = async () => { while (lines.length === 0) await new Promise((r) => (wake = r)); return lines.shift(); };
(async () => {
  await next();
  const t0 = performance.now();
  process.stdout.write(JSON.stringify({ call: 'model.chat', id: 1, params: { messages: ${JSON.stringify(MESSAGES)}, max_tokens: ${MAX_TOKENS} } }) + '\\n');
  const reply = JSON.parse(await next());
  const ms = performance.now() - t0;
  if (!reply.result) { process.stdout.write(JSON.stringify({ text: JSON.stringify(reply) }) + '\\n'); return; }
  process.stdout.write(JSON.stringify({ text: JSON.stringify({ ms, tokens: reply.result.tokens.completion, first_token_ms: reply.result.first_token_ms }) }) + '\\n');
})();
`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function benchLocalModel(cli: string, scratch: string): Promise<Ratio[] | string> {
  try {
    createRequire(import.meta.url).resolve('node-llama-cpp');
  } catch {
    return 'local model: skipped (node-llama-cpp, the optional dependency, is not installed)';
  }
  const dir = join(scratch, 'local-model');
  const home = join(dir, 'home');
  const agent = join(dir, 'bench-chat');
  mkdirSync(home, { recursive: true, mode: 0o700 });
  mkdirSync(agent, { recursive: true });
  const modelPath = join(dir, 'test-model.gguf');
  writeFileSync(modelPath, (testModelBytes as () => Buffer)());
  writeFileSync(join(home, 'config.toml'), `[model]\nprovider = "llama-cpp"\nmodel_path = ${JSON.stringify(modelPath)}\ncontext_size = 1024\nmax_tokens = ${MAX_TOKENS}\n`);
  writeFileSync(join(agent, 'agent.toml'), AGENT_TOML);
  writeFileSync(join(agent, 'main.js'), AGENT_MAIN);
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, COVENANT_HOME: home, COVENANT_LOG_LEVEL: 'warn', COVENANT_RUNTIME_BACKEND: 'trusted-local' };

  const daemonRuns: Array<{ ms: number; tokens: number; first_token_ms: number }> = [];
  const daemon = await spawnDaemon(home, env, ['--no-http']);
  try {
    const cliRun = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8' });
    const install = cliRun('agents', 'install', agent, '--json');
    if (install.status !== 0) throw new Error(`install: ${install.stdout}${install.stderr}`);
    for (let i = 0; i < RUNS + 1; i += 1) {
      const out = cliRun('intent', '--json', '--agent', 'bench-chat', 'bench');
      const reply = JSON.parse(out.stdout) as { text: string };
      const run = JSON.parse(reply.text) as { ms: number; tokens: number; first_token_ms: number };
      if (typeof run.ms !== 'number') throw new Error(`model.chat failed: ${reply.text}`);
      if (i > 0) daemonRuns.push(run); // the first loads the model
    }
  } finally {
    await daemon.stop();
  }

  const lib = await import('node-llama-cpp');
  const llama = await lib.getLlama({ gpu: false, build: 'never', maxThreads: 1, logLevel: lib.LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: 1024, threads: 1 });
  const directRuns: Array<{ ms: number; tokens: number; first_token_ms: number }> = [];
  for (let i = 0; i < RUNS + 1; i += 1) {
    const sequence = context.getSequence();
    const session = new lib.LlamaChatSession({ contextSequence: sequence, systemPrompt: MESSAGES[0]!.content, autoDisposeSequence: false });
    const t0 = performance.now();
    let first = 0;
    const answer = await session.promptWithMeta(MESSAGES[1]!.content, { maxTokens: MAX_TOKENS, temperature: 0, onTextChunk: () => (first ||= performance.now() - t0) });
    const ms = performance.now() - t0;
    if (i > 0) directRuns.push({ ms, tokens: model.tokenize(answer.responseText).length, first_token_ms: first });
    session.dispose();
    await sequence.dispose();
  }
  await model.dispose();

  const rate = (runs: typeof directRuns) => median(runs.map((r) => (r.tokens / r.ms) * 1000));
  const through = rate(daemonRuns);
  const direct = rate(directRuns);
  const ttftDaemon = median(daemonRuns.map((r) => r.first_token_ms));
  const ttftDirect = median(directRuns.map((r) => r.first_token_ms));
  return [
    throughputRatio(
      {
        name: `local model generation, ${MAX_TOKENS} tokens (median of ${RUNS})`,
        subject: 'model.chat host call through covenantd (llama-cpp child)',
        baseline: 'node-llama-cpp in-process, same model and prompt',
      },
      through,
      direct,
      0.9,
      'tokens/s',
    ),
    {
      name: 'local model time to first token (median)',
      subject: 'llama-cpp child behind covenantd',
      baseline: 'node-llama-cpp in-process',
      subjectValue: ttftDaemon,
      baselineValue: ttftDirect,
      unit: 'ms',
      ratio: ttftDaemon / ttftDirect,
      target: 'reported',
      met: true,
    },
  ];
}
