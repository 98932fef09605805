#!/usr/bin/env node
// `npm run models` (SPEC 16): probes the configured model provider of $COVENANT_HOME/config.toml.
// Ollama: GET /api/version and /api/tags; llama-cpp: the GGUF file and its metadata. The models
// required are the pinned set of models.json for the provider plus each --require M.
//   --json → {provider, endpoint, ok, required, missing, available, version}
//   exit 0 ok, 1 bad arguments, 2 provider unreachable (or none configured), 3 models missing.
// The text form ends with one `ollama pull` line per missing Ollama model.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { readModelConfig, readGguf } = await import(join(root, 'dist', 'model', 'index.js'));

function usage(message) {
  process.stderr.write(`models: ${message}\nusage: npm run models -- [--require MODEL]... [--json]\n`);
  process.exit(1);
}

const args = process.argv.slice(2);
const json = args.includes('--json');
const requested = [];
for (let i = 0; i < args.length; i += 1) {
  if (args[i] === '--json') continue;
  if (args[i] === '--require') {
    const model = args[i + 1];
    if (model === undefined || model.startsWith('--') || model.trim() === '') usage('--require needs a model name');
    requested.push(model);
    i += 1;
    continue;
  }
  usage(`unknown argument ${JSON.stringify(args[i])}`);
}

const home = process.env.COVENANT_HOME ?? join(homedir(), '.covenant');
const read = readModelConfig(join(home, 'config.toml'), process.env);
if ('error' in read) usage(read.error);
const config = read.config;
const pinned = existsSync(join(root, 'models.json')) ? (JSON.parse(readFileSync(join(root, 'models.json'), 'utf8'))[config.provider] ?? []) : [];
const required = [...new Set([...pinned, ...requested, ...[config.chat_model, config.embed_model].filter((m) => m !== undefined)])];

async function probeOllama() {
  const endpoint = config.endpoint;
  /** @param {string} path @returns {Promise<any>} */
  const get = async (path) => {
    const res = await fetch(`${endpoint.replace(/\/+$/, '')}${path}`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`HTTP ${res.status} on ${path}`);
    return res.json();
  };
  try {
    const version = (await get('/api/version')).version ?? null;
    const tags = await get('/api/tags');
    const available = (tags.models ?? []).map((m) => m.name).sort();
    const has = (m) => available.includes(m) || (!m.includes(':') && available.includes(`${m}:latest`));
    return { endpoint, reachable: true, version, available, missing: required.filter((m) => !has(m)) };
  } catch (/** @type {any} */ error) {
    return { endpoint, reachable: false, version: null, available: [], missing: required, problem: `${endpoint} is not reachable (${error.cause?.code ?? error.message}); start it with \`ollama serve\`` };
  }
}

function probeLlama() {
  const file = config.model_path;
  const gguf = readGguf(file);
  if (!gguf.ok) return { endpoint: file, reachable: false, version: null, available: [], missing: required, problem: `${basename(file)}: ${gguf.problem}` };
  const name = basename(file);
  const meta = gguf.info.metadata;
  const version = `GGUF v${gguf.info.version}, ${meta['general.architecture'] ?? 'unknown architecture'}, ${gguf.info.tensorCount} tensors`;
  const available = [name];
  return { endpoint: file, reachable: true, version, available, missing: required.filter((m) => m !== name && m !== file) };
}

if (config.provider === 'none') {
  const out = { provider: 'none', endpoint: null, ok: false, required, missing: required, available: [], version: null };
  process.stdout.write(json ? `${JSON.stringify(out)}\n` : 'no model provider is configured: set [model] provider in config.toml (docs/local-model.md)\n');
  process.exit(2);
}
const probe = config.provider === 'ollama' ? await probeOllama() : probeLlama();
const ok = probe.reachable && probe.missing.length === 0;
const out = { provider: config.provider, endpoint: probe.endpoint, ok, required, missing: probe.missing, available: probe.available, version: probe.version };
if (json) process.stdout.write(`${JSON.stringify(out)}\n`);
else {
  process.stdout.write(`provider: ${config.provider} (${probe.endpoint})\n`);
  process.stdout.write(probe.reachable ? `version: ${probe.version ?? 'unknown'}\navailable: ${probe.available.join(', ') || 'none'}\n` : `unreachable: ${probe.problem}\n`);
  process.stdout.write(`required: ${required.join(', ') || 'none'}\nmissing: ${probe.missing.join(', ') || 'none'}\n`);
  if (config.provider === 'ollama') for (const m of probe.missing) process.stdout.write(`ollama pull ${m}\n`);
}
process.exit(!probe.reachable ? 2 : probe.missing.length > 0 ? 3 : 0);
