import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_IGNORE_RULES, extractCandidates, IgnoreGate } from '../../src/policy/index.js';
import { tempDir } from '../helpers/temp-home.js';

function gateIn(dir: string, homeRules?: string): IgnoreGate {
  const homeFile = join(dir, '.covenantignore');
  if (homeRules !== undefined) writeFileSync(homeFile, homeRules, { mode: 0o600 });
  const gate = new IgnoreGate({ homeFile, agentsDir: join(dir, 'agents') });
  gate.seed();
  return gate;
}

function agentFile(dir: string, id: string, rules: string): void {
  mkdirSync(join(dir, 'agents', id), { recursive: true });
  writeFileSync(join(dir, 'agents', id, '.covenantignore'), rules);
}

test('the home file is seeded with the default secret rules, mode 0600', () => {
  const { dir, cleanup } = tempDir();
  try {
    const gate = gateIn(dir);
    const file = join(dir, '.covenantignore');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(gate.homeRules(), DEFAULT_IGNORE_RULES);
    for (const rule of ['.env', '.env.*', '*.pem', '*.key', 'id_rsa*', 'id_ed25519*', '.ssh/', '.aws/credentials', 'secrets.toml', 'credentials.json']) {
      assert.ok(readFileSync(file, 'utf8').split('\n').includes(rule), `seeded file lacks ${rule}`);
    }
    assert.equal(gate.seed(), false, 'an existing file is never overwritten');
  } finally {
    cleanup();
  }
});

test('default rules match the usual secret paths, however the text names them', () => {
  const { dir, cleanup } = tempDir();
  try {
    const gate = gateIn(dir);
    const cases: Array<[string, string]> = [
      ['read my .env', '.env'],
      ['summarize config/.env.local please', '.env.*'],
      ['cat ~/.ssh/id_ed25519', '.ssh/'],
      ['what is in ./id_ed25519.pub?', 'id_ed25519*'],
      ['print server.pem.', '*.pem'],
      ['upload "/home/me/.aws/credentials"', '.aws/credentials'],
      ['show .aws/credentials', '.aws/credentials'],
      ['open /home/me/.ssh/id_rsa', '.ssh/'],
      ['check ~/.env', '.env'],
      ['list .ssh', '.ssh/'],
      ['read deploy/tls.key', '*.key'],
      ['load secrets.toml', 'secrets.toml'],
      ['parse C:\\Users\\me\\credentials.json', 'credentials.json'],
      ['fetch https://example.com/app/.env', '.env'],
      ['FILE=.env ./run.sh', '.env'],
      ['cat id_rsa', 'id_rsa*'],
    ];
    for (const [text, rule] of cases) {
      const verdict = gate.check(text);
      assert.equal(verdict.ignored, true, `${text} should be ignored`);
      assert.equal(verdict.matched_rule, rule, text);
      assert.equal(verdict.source, 'home', text);
      assert.equal(verdict.rules_loaded, DEFAULT_IGNORE_RULES.length);
    }
    for (const text of ['summarize the notes in my inbox', 'what does the environment variable do', 'read notes.txt', 'secrets management best practices', 'my ssh key']) {
      const verdict = gate.check(text);
      assert.equal(verdict.ignored, false, `${text} should not be ignored (${verdict.matched_rule})`);
      assert.equal(verdict.matched_rule, null);
      assert.equal(verdict.source, null);
    }
  } finally {
    cleanup();
  }
});

test('gitignore semantics: negation, anchoring and **', () => {
  const { dir, cleanup } = tempDir();
  try {
    const gate = gateIn(dir, ['# comment', '', '*.log', '!keep.log', '/build/', 'docs/**/private.md', 'a/**/b'].join('\n'));
    assert.equal(gate.check('tail app.log').matched_rule, '*.log');
    assert.equal(gate.check('tail keep.log').ignored, false, 'negation un-ignores');
    assert.equal(gate.check('ls build/out.js').matched_rule, '/build/');
    assert.equal(gate.check('ls /build/out.js').matched_rule, '/build/', 'a leading / in the text is normalised away');
    assert.equal(gate.check('read docs/a/b/c/private.md').matched_rule, 'docs/**/private.md');
    assert.equal(gate.check('read docs/private.md').matched_rule, 'docs/**/private.md');
    assert.equal(gate.check('read a/x/y/b').matched_rule, 'a/**/b');
    assert.equal(gate.check('read private.md').ignored, false);
    assert.equal(gate.check('tail keep.log and app.log').matched_rule, '*.log');
    assert.equal(gate.check('nothing here').rules_loaded, 5);
  } finally {
    cleanup();
  }
});

test('the home file is re-read when it changes, and re-seeded when deleted', () => {
  const { dir, cleanup } = tempDir();
  try {
    const gate = gateIn(dir, 'notes.txt\n');
    assert.equal(gate.check('read notes.txt').ignored, true);
    assert.equal(gate.check('read .env').ignored, false);
    // Same size, same second: the ns mtime/ctime still differ.
    writeFileSync(join(dir, '.covenantignore'), 'notes.md\n');
    assert.equal(gate.check('read notes.txt').ignored, false);
    assert.equal(gate.check('read notes.md').matched_rule, 'notes.md');
    // An edit that restores the old mtime is still seen (ctime changes).
    writeFileSync(join(dir, '.covenantignore'), 'notes.xx\n');
    utimesSync(join(dir, '.covenantignore'), 1, 1);
    assert.equal(gate.check('read notes.xx').matched_rule, 'notes.xx');
    rmSync(join(dir, '.covenantignore'));
    assert.equal(gate.check('read .env').matched_rule, '.env', 'a deleted file comes back with the defaults');
    assert.equal(statSync(join(dir, '.covenantignore')).mode & 0o777, 0o600);
  } finally {
    cleanup();
  }
});

test('an agent .covenantignore adds rules for intents routed to that agent', () => {
  const { dir, cleanup } = tempDir();
  try {
    const gate = gateIn(dir);
    agentFile(dir, 'research', '*.sqlite\ndrafts/\n!drafts/public.md\n');
    const scoped = gate.check('summarize db/cache.sqlite', 'research');
    assert.deepEqual(
      { ignored: scoped.ignored, matched_rule: scoped.matched_rule, source: scoped.source },
      { ignored: true, matched_rule: '*.sqlite', source: 'agent:research' },
    );
    assert.equal(scoped.rules_loaded, DEFAULT_IGNORE_RULES.length + 3);
    assert.deepEqual(scoped.refused_overrides, [], 'a negation of its own rule is allowed');
    assert.equal(gate.check('summarize db/cache.sqlite').ignored, false, 'other routes do not see agent rules');
    assert.equal(gate.check('summarize db/cache.sqlite', 'hello').ignored, false, 'nor do other agents');
    assert.equal(gate.check('read .env', 'research').source, 'home', 'home rules still apply and are named first');
    // The agent file is re-read too.
    agentFile(dir, 'research', '*.csv\n');
    assert.equal(gate.check('summarize db/cache.sqlite', 'research').ignored, false);
    assert.equal(gate.check('summarize data.csv', 'research').source, 'agent:research');
  } finally {
    cleanup();
  }
});

test('an agent negation that would un-ignore a home rule is refused and reported', () => {
  const { dir, cleanup } = tempDir();
  try {
    const gate = gateIn(dir);
    agentFile(dir, 'leaky', ['*.log', '!app.log', '!.env', '!.env.example', '!**/*.pem', '!.ssh/known_hosts', '!*'].join('\n'));
    const verdict = gate.check('read .env and .env.example and server.pem', 'leaky');
    assert.equal(verdict.ignored, true);
    assert.equal(verdict.source, 'home');
    assert.equal(verdict.matched_rule, '.env');
    assert.deepEqual(verdict.refused_overrides, ['!.env', '!.env.example', '!**/*.pem', '!.ssh/known_hosts', '!*']);
    // Refused rules are not applied (and could not un-ignore a home path anyway).
    assert.equal(gate.check('cat ~/.ssh/known_hosts', 'leaky').matched_rule, '.ssh/');
    assert.equal(gate.check('read .env.example', 'leaky').ignored, true);
    // The agent's own negation of its own rule is applied.
    assert.equal(gate.check('tail app.log', 'leaky').ignored, false);
    assert.equal(gate.check('tail other.log', 'leaky').matched_rule, '*.log');
    // Applied: 10 home + *.log + !app.log.
    assert.equal(verdict.rules_loaded, DEFAULT_IGNORE_RULES.length + 2);
    // A refusal is reported for any text checked for the agent, ignored or not.
    assert.equal(gate.check('hello there', 'leaky').refused_overrides.length, 5);
  } finally {
    cleanup();
  }
});

test('a negation is also refused when a home-ignored path in the text matches it', () => {
  const { dir, cleanup } = tempDir();
  try {
    const gate = gateIn(dir, 'vault/\n');
    agentFile(dir, 'sneaky', '!v[a-z]ult/keys.txt\n');
    const verdict = gate.check('read vault/keys.txt', 'sneaky');
    assert.equal(verdict.ignored, true);
    assert.equal(verdict.matched_rule, 'vault/');
    assert.deepEqual(verdict.refused_overrides, ['!v[a-z]ult/keys.txt']);
  } finally {
    cleanup();
  }
});

test('candidate extraction: tokens, quotes, punctuation, suffixes, normalisation', () => {
  const paths = (text: string) => extractCandidates(text).map((c) => c.path).filter((p) => !p.endsWith('/'));
  assert.deepEqual(paths('read /home/me/.ssh/id_rsa.'), ['home/me/.ssh/id_rsa', 'me/.ssh/id_rsa', '.ssh/id_rsa', 'id_rsa']);
  assert.deepEqual(paths('"~/.env",'), ['.env']);
  assert.deepEqual(paths('(./config/.env.local)'), ['config/.env.local', '.env.local']);
  assert.deepEqual(paths('../../secrets.toml!'), ['secrets.toml']);
  assert.deepEqual(paths('summarize the notes in my inbox'), []);
  assert.deepEqual(paths('ls *.pem'), ['*.pem']);
  assert.ok(extractCandidates('list .ssh').some((c) => c.path === '.ssh/'), 'each candidate is also tried as a directory');
});
