import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agentCard, IntentRouter, ROUTER_SIMILARITY_THRESHOLD, unroutedAnswer } from '../../src/intent/index.js';
import { cosine, LocalEmbedder, LOCAL_EMBEDDING_DIMS, tokenize } from '../../src/memory/index.js';
import { AgentManifestSchema, type AgentManifest } from '../../src/runtime/index.js';

function manifest(id: string, opts: { name?: string; description?: string; keywords?: string[]; required?: string[] } = {}): AgentManifest {
  return AgentManifestSchema.parse({
    agent: { id, name: opts.name ?? id, version: '0.1.0', runtime: 'node', entry: 'main.js', description: opts.description },
    capabilities: { required: opts.required ?? [] },
    router: opts.keywords ? { keywords: opts.keywords } : {},
  });
}

const agent = (id: string, opts: Parameters<typeof manifest>[1] = {}) => ({ id, manifest: manifest(id, opts) });

describe('LocalEmbedder', () => {
  const embedder = new LocalEmbedder();

  it('is deterministic, 256-dimensional and L2-normalised', () => {
    const a = embedder.embed('Summarize the quarterly report');
    const b = embedder.embed('summarize   the QUARTERLY report!');
    assert.equal(a.length, LOCAL_EMBEDDING_DIMS);
    assert.deepEqual([...a], [...b], 'case and punctuation do not matter');
    const norm = Math.sqrt([...a].reduce((s, v) => s + v * v, 0));
    assert.ok(Math.abs(norm - 1) < 1e-6);
    assert.ok(Math.abs(cosine(a, b) - 1) < 1e-6);
  });

  it('uses bigrams: word order changes the vector', () => {
    const a = embedder.embed('dog bites man');
    const b = embedder.embed('man bites dog');
    const sim = cosine(a, b);
    assert.ok(sim < 0.999 && sim > 0.2, `similar but not equal (${sim})`);
  });

  it('embeds empty text to the zero vector, whose cosine is 0', () => {
    const zero = embedder.embed('  ,;  ');
    assert.ok([...zero].every((v) => v === 0));
    assert.equal(cosine(zero, embedder.embed('anything')), 0);
  });

  it('tokenizes Unicode letters and digits, lowercased', () => {
    assert.deepEqual(tokenize('Héllo, WORLD-42 naïve'), ['héllo', 'world', '42', 'naïve']);
  });
});

describe('IntentRouter', () => {
  const router = new IntentRouter(new LocalEmbedder());
  const hello = agent('hello', { name: 'Hello', description: 'Greets you and echoes your text back.', keywords: ['hello', 'hi', 'echo'] });
  const research = agent('research', {
    name: 'Research',
    description: 'Researches, summarizes, explains and compares topics.',
    keywords: ['research', 'summarize', 'explain', 'look up'],
  });

  it('a keyword hit wins, whole words only, case-insensitive', () => {
    assert.deepEqual(router.route('Please SUMMARIZE this article', [hello, research]), {
      agent: 'research',
      by: 'keyword',
      score: 1,
      keywords: ['summarize'],
    });
    // "this" contains "hi" but is not the word "hi".
    assert.equal(router.route('this thing', [hello])?.agent ?? null, null);
  });

  it('multi-word keywords match consecutive words', () => {
    assert.equal(router.route('can you look up the tide tables', [hello, research])?.agent, 'research');
    assert.equal(router.route('look at it, then up', [research]), null);
  });

  it('the agent with the most keyword hits wins; equal hits break by id', () => {
    assert.equal(router.route('hello, please research and explain', [hello, research])?.agent, 'research');
    const a = agent('alpha', { keywords: ['report'] });
    const b = agent('beta', { keywords: ['report'] });
    assert.equal(router.route('write the report', [b, a])?.agent, 'alpha');
    assert.equal(router.route('write the report', [a, b])?.agent, 'alpha');
  });

  it('without a keyword hit, the most similar card above the threshold wins', () => {
    const weather = agent('weather', {
      name: 'Weather',
      description: 'Weather forecast: rain, wind and temperature for tomorrow in your city.',
    });
    const decision = router.route('weather forecast for tomorrow: rain and wind in my city?', [hello, research, weather]);
    assert.equal(decision?.agent, 'weather');
    assert.equal(decision?.by, 'similarity');
    assert.ok((decision?.score ?? 0) >= ROUTER_SIMILARITY_THRESHOLD);
  });

  it('similarity below the threshold is no match (unrouted)', () => {
    const weather = agent('weather', { name: 'Weather', description: 'Weather forecast: rain, wind and temperature.' });
    const scores = router.scores('what is the capital of France', [hello, research, weather]);
    assert.ok(scores.every((s) => s.score < ROUTER_SIMILARITY_THRESHOLD), JSON.stringify(scores));
    assert.equal(router.route('what is the capital of France', [hello, research, weather]), null);
  });

  it('the unrouted answer says how to install an agent, or to name one with --agent', () => {
    assert.match(unroutedAnswer([]), /^no agent is installed, so none could take this intent; install one with `covenant agents install <dir>`/);
    assert.match(unroutedAnswer(['hello', 'research']), /^no installed agent matched this intent \(installed: hello, research\); name one with `covenant intent --agent <id> <text>`/);
  });

  it('equal similarity breaks by agent id', () => {
    const card = { name: 'Twin', description: 'Translates invoices into spreadsheets.' };
    const b = agent('twin-b', card);
    const a = agent('twin-a', card);
    const decision = router.route('translates invoices into spreadsheets', [b, a]);
    assert.equal(decision?.agent, 'twin-a');
    assert.equal(decision?.by, 'similarity');
  });

  it('no agents: no route', () => {
    assert.equal(router.route('hello', []), null);
  });

  it('the card holds name, description, capabilities and keywords', () => {
    const m = manifest('x', { name: 'X Agent', description: 'Does x.', keywords: ['xx'], required: ['memory.read'] });
    assert.equal(agentCard(m), 'X Agent\nDoes x.\nmemory.read\nxx');
  });
});
