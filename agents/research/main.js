// Covenant reference agent "research": reads one JSON intent line on stdin, answers with one
// JSON line on stdout.
//
// With COVENANT_OLLAMA_ENDPOINT and COVENANT_MODEL_CHAT set it asks the local model
// (Ollama /api/chat); a configured but failing model is an error (exit 1, reason on stderr),
// never a silent fallback. Without a model it answers deterministically and says it is offline.
//
// Uses only globals (no import/require), so it runs the same as an ES module or as CommonJS.
'use strict';

const STOPWORDS = new Set(
  ('a an and are as at be but by can could do does for from had has have how i if in into is it its ' +
    'me my no not of on or our please should so than that the their them then there these they this ' +
    'to us was we were what when where which who why will with would you your about between vs versus')
    .split(' '),
);

function offlineAnswer(text) {
  const words = (text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}'-]*/gu) || []);
  const counts = new Map();
  for (const w of words) {
    if (w.length < 3 || STOPWORDS.has(w)) continue;
    counts.set(w, (counts.get(w) || 0) + 1);
  }
  const terms = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, 8)
    .map(([w, n]) => (n > 1 ? `${w} (${n})` : w));
  const summary =
    `${words.length} word${words.length === 1 ? '' : 's'}; key terms: ` +
    (terms.length > 0 ? terms.join(', ') : 'none');
  return { text: `research (offline, no model configured): ${summary}`, sources: ['offline'] };
}

async function modelAnswer(endpoint, model, text) {
  const url = `${endpoint.replace(/\/+$/, '')}/api/chat`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: text }], stream: false }),
  });
  if (!res.ok) {
    const body = (await res.text()).slice(0, 300);
    throw new Error(`model ${model} answered HTTP ${res.status}: ${body}`);
  }
  const data = await res.json();
  const content = data && data.message && typeof data.message.content === 'string' ? data.message.content : null;
  if (content === null) throw new Error(`model ${model} answered without message.content`);
  return { text: content, sources: [`model:${model}`] };
}

function readStdin() {
  return new Promise((resolve, reject) => {
    let input = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk) => {
      input += chunk;
    });
    process.stdin.on('end', () => resolve(input));
    process.stdin.on('error', reject);
  });
}

async function main() {
  const input = await readStdin();
  const line = input.split('\n').find((l) => l.trim() !== '') ?? '';
  let intent;
  try {
    intent = JSON.parse(line);
  } catch {
    process.stderr.write('research: expected one JSON intent line on stdin\n');
    process.exitCode = 2;
    return;
  }
  const text = typeof intent.text === 'string' ? intent.text : '';
  const endpoint = process.env.COVENANT_OLLAMA_ENDPOINT;
  const model = process.env.COVENANT_MODEL_CHAT;
  let answer;
  if (endpoint && model) {
    try {
      answer = await modelAnswer(endpoint, model, text);
    } catch (err) {
      process.stderr.write(`research: ${err && err.message ? err.message : String(err)}\n`);
      process.exitCode = 1;
      return;
    }
  } else {
    answer = offlineAnswer(text);
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
}

main().catch((err) => {
  process.stderr.write(`research: ${err && err.stack ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
