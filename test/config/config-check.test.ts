// config.toml's one strict schema: every unknown section or key, every bad value, named with its key path and line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkConfigText, ConfigSchema, effectiveView, formatProblem, lineOfKey } from '../../src/config/index.js';

function problems(text: string): string[] {
  const check = checkConfigText(text);
  assert.equal(check.ok, false, 'the file is refused');
  return check.ok ? [] : check.problems.map((p) => formatProblem('config.toml', p));
}

test('an empty file is valid and every default is filled in', () => {
  const check = checkConfigText('');
  assert.ok(check.ok);
  assert.deepEqual(check.config, ConfigSchema.parse({}));
  assert.equal(check.config.model.provider, 'none');
  assert.equal(check.config.model.endpoint, 'http://127.0.0.1:11434');
  assert.deepEqual(check.config.mcp.server, []);
  assert.equal(check.config.memory.retention.working.max_age_ms, 86_400_000);
});

test('unknown sections and misspelled keys in every table are errors naming the key and its line', () => {
  const text = [
    '# a comment',
    '[bogus]', // 2
    'x = 1',
    '[model]', // 4
    'provder = "ollama"', // 5
    '',
    '[[mcp.server]]', // 7
    'name = "a"',
    'command = "x"',
    '[[mcp.server]]', // 10
    'name = "b"',
    'command = "y"',
    'comand = "z"', // 13
    '[mcp.server.env]', // 14
    'COVENANT_TOKEN = "1"', // 15
    '[memory.retention.working]', // 16
    'max_age = 5', // 17
    '[mcp]',
  ].join('\n');
  assert.deepEqual(problems(text), [
    'config.toml:2: bogus: unknown section; allowed sections: model, memory, mcp',
    'config.toml:5: model.provder: unknown key; allowed keys: provider, endpoint, chat_model, embed_model, timeout_ms, max_tokens, keep_alive, model_path, threads, context_size',
    'config.toml:13: mcp.server[1].comand: unknown key; allowed keys: name, command, args, env, cwd, enabled, tool_prefix, include, exclude, startup_timeout_ms, call_timeout_ms',
    'config.toml:15: mcp.server[1].env.COVENANT_TOKEN: COVENANT_* variables are never passed to an MCP server',
    'config.toml:17: memory.retention.working.max_age: unknown key; allowed keys: max_age_ms, max_count',
  ]);
});

test('bad values, duplicates and a key under [mcp] other than server', () => {
  assert.deepEqual(problems('[model]\nprovider = "openai"\n'), [
    'config.toml:2: model.provider: Invalid option: expected one of "ollama"|"llama-cpp"|"none"',
  ]);
  assert.deepEqual(problems('[[mcp.server]]\nname = "a"\ncommand = "x"\n\n[[mcp.server]]\nname = "a"\ncommand = "y"\n'), [
    'config.toml:6: mcp.server[1].name: a is declared twice',
  ]);
  assert.deepEqual(problems('[[mcp.server]]\nname = "g"\ncommand = "x"\ninclude = ["[a-z]*"]\n'), [
    'config.toml:4: mcp.server[0].include[0]: a glob uses * and ? over letters, digits, _ - and . (at most 128 characters)',
  ]);
  assert.deepEqual(problems('mcp.servers = 1\n'), ['config.toml:1: mcp.servers: unknown key; allowed keys: server']);
  assert.deepEqual(problems('[[mcp.server]]\nname = "nocommand"\n'), ['config.toml:1: mcp.server[0].command: Invalid input: expected string, received undefined']);
  assert.deepEqual(problems('[memory.retention.long-term]\nmax_count = 1\n[memory.retention.longterm]\nmax_count = 2\n'), [
    'config.toml:3: memory.retention.longterm: tier longterm is configured twice',
  ]);
});

test('a TOML syntax error names its line', () => {
  const check = checkConfigText('[model]\nprovider = "none"\nendpoint = \n');
  assert.ok(!check.ok);
  assert.equal(check.problems.length, 1);
  assert.equal(check.problems[0]!.key, null);
  assert.equal(check.problems[0]!.line, 3);
  assert.match(check.problems[0]!.message, /^not valid TOML: /);
});

test('line lookup: dotted keys, quoted keys, inline tables and multi-line strings', () => {
  const text = [
    'model.provder = "x"', // 1
    '[mcp]', // 2
    '"server" = [ { name = "a", comand = "b" } ]', // 3
    '[memory]', // 4
    "retention.working.max_count = 'unlimited'", // 5
    'note = """', // 6
    'bogus = 1', // 7: inside a string, not a key
    '"""', // 8
    'bogus = 2', // 9
  ].join('\n');
  assert.equal(lineOfKey(text, ['model', 'provder']), 1);
  assert.equal(lineOfKey(text, ['mcp', 'server', 0, 'comand']), 3, 'a key inside an inline table: the line of the key that holds it');
  assert.equal(lineOfKey(text, ['memory', 'retention', 'working', 'max_count']), 5);
  assert.equal(lineOfKey(text, ['memory', 'bogus']), 9);
  assert.equal(lineOfKey(text, ['memory', 'retention']), 5, 'a table known only through a dotted key inside it');
  assert.equal(lineOfKey(text, ['nowhere']), null);
});

test('config show redacts secrets: env values, token-shaped arguments, URL passwords', () => {
  const token = 'AbCdEfGhJkLmNpQrStUvWxYz123456789abcdEFGH';
  const check = checkConfigText(
    `[model]\nprovider = "ollama"\nchat_model = "llama3.2"\nendpoint = "http://user:hunter2hunter2@127.0.0.1:11434"\n[[mcp.server]]\nname = "a"\ncommand = "node"\nargs = ["--token", "${token}"]\nenv = { API_KEY = "sk-verysecretvalue123", SHORT = "ab" }\n`,
  );
  assert.ok(check.ok);
  const view = effectiveView(check.config);
  const shown = JSON.stringify(view);
  assert.ok(!shown.includes(token) && !shown.includes('verysecret') && !shown.includes('hunter2hunter2'), shown);
  assert.deepEqual(view.mcp.server[0]!.env, { API_KEY: 'sk-ver…', SHORT: 'a…' });
  assert.deepEqual(view.mcp.server[0]!.args, ['--token', 'AbCdEf…']);
  assert.equal(view.model.endpoint, 'http://user:hunter…@127.0.0.1:11434');
  assert.deepEqual(view.memory.retention.longterm, { max_age_ms: 'unlimited', max_count: 'unlimited' });
});
