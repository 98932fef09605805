// Covenant reference agent "research" (SPEC 12): reads its intent line on stdin, then asks the
// daemon over its stdio (host calls) for the best passages of the caller's memory
// (memory.search) and, when a model is configured, for an answer grounded on them
// (model.chat). Its `sources` are the ids of the memory records it used.
//
// Without a model (E_MODEL_NOT_CONFIGURED) the answer is the passages themselves and says that
// no model is configured. A configured model that fails is an error (exit 1, reason on stderr),
// never a silent fallback.
//
// Uses only globals (no import/require), so it runs the same as an ES module or as CommonJS.
'use strict';

const PASSAGES = 3;
/** Prompt budget: small local models have small contexts. */
const PASSAGE_CHARS = 160;
const MAX_TOKENS = 256;

let buffered = '';
const lineWaiters = [];
const lines = [];
let ended = false;

process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  let nl;
  while ((nl = buffered.indexOf('\n')) !== -1) {
    const line = buffered.slice(0, nl);
    buffered = buffered.slice(nl + 1);
    if (line.trim() === '') continue;
    const waiter = lineWaiters.shift();
    if (waiter) waiter.resolve(line);
    else lines.push(line);
  }
});
process.stdin.on('end', () => {
  ended = true;
  for (const waiter of lineWaiters.splice(0)) waiter.reject(new Error('stdin closed'));
});

function nextLine() {
  if (lines.length > 0) return Promise.resolve(lines.shift());
  if (ended) return Promise.reject(new Error('stdin closed'));
  return new Promise((resolve, reject) => lineWaiters.push({ resolve, reject }));
}

let nextId = 1;
/** One host call: `{result}` or `{error: {code, message}}`. */
async function hostCall(call, params) {
  const id = nextId++;
  process.stdout.write(JSON.stringify({ call, id, params }) + '\n');
  for (;;) {
    const reply = JSON.parse(await nextLine());
    if (reply.id === id) return reply;
  }
}

function cut(text, n) {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > n ? `${flat.slice(0, n - 3)}...` : flat;
}

function offlineAnswer(passages, why) {
  if (passages.length === 0) {
    return { text: `research (offline, ${why}): nothing in your memory matches; write notes with \`covenant memory write\` first`, sources: [] };
  }
  const body = passages.map((p, i) => `[${i + 1}] ${cut(p.text, 300)}`).join('\n');
  return { text: `research (offline, ${why}): the best passages of your memory:\n${body}`, sources: passages.map((p) => p.id) };
}

async function main() {
  const intent = JSON.parse(await nextLine());
  const question = typeof intent.text === 'string' ? intent.text : '';

  const search = await hostCall('memory.search', { query: question, limit: PASSAGES });
  const passages = search.result && Array.isArray(search.result.records) ? search.result.records.filter((r) => r.id !== intent.intent_id) : [];

  const context = passages.map((p, i) => `[${i + 1}] ${cut(p.text, PASSAGE_CHARS)}`).join('\n');
  const system = passages.length > 0 ? `Answer from these passages:\n${context}` : 'Answer briefly.';
  const chat = await hostCall('model.chat', {
    messages: [
      { role: 'system', content: system },
      { role: 'user', content: question },
    ],
    max_tokens: MAX_TOKENS,
  });
  let answer;
  if (chat.result) {
    answer = { text: chat.result.text, sources: passages.map((p) => p.id) };
  } else if (chat.error && chat.error.code === 'E_MODEL_NOT_CONFIGURED') {
    answer = offlineAnswer(passages, 'no model configured');
  } else if (chat.error && chat.error.code === 'E_CAPABILITY_MISSING') {
    answer = offlineAnswer(passages, 'model.chat not granted to the caller');
  } else {
    process.stderr.write(`research: the model failed: ${chat.error ? `${chat.error.code}: ${chat.error.message}` : 'no answer'}\n`);
    process.exitCode = 1;
    process.exit();
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
}

main().catch((err) => {
  process.stderr.write(`research: ${err && err.message ? err.message : String(err)}\n`);
  process.exitCode = 1;
  process.exit();
});
