/**
 * Issue 10 item 12: refusals give the advice that fits. Arguments that are not JSON are said to
 * be not JSON; a revoked peer is told to ask the operator (recovering the operator token is the
 * operator's fix); a timed-out agent's message names `[resources] cpu_ms_per_task` and says it
 * counts wall-clock time.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { homePaths } from '../../src/home/index.js';
import { REPO_ROOT, runCli, withDaemonHome } from '../helpers/binaries.js';

const noDaemon = { ...process.env, COVENANT_HOME: '/nonexistent-covenant-home' };

test('tools call --args that are not JSON is a usage error saying so, with a tool-arguments example', () => {
  const notJson = runCli(['tools', 'call', 'echo', '--args', 'notjson'], noDaemon);
  assert.equal(notJson.code, 2);
  assert.match(notJson.stderr, /not JSON: the tool's arguments must be a JSON object, e\.g\. '\{"text":"hi"\}'/);
  assert.doesNotMatch(notJson.stderr, /tier|scope/);

  const array = runCli(['tools', 'call', 'echo', '--args', '[1]'], noDaemon);
  assert.equal(array.code, 2);
  assert.match(array.stderr, /the tool's arguments must be a JSON object, not an array/);

  const scope = runCli(['capabilities', 'grant', 'memory.read', '--scope', '{tier'], noDaemon);
  assert.equal(scope.code, 2);
  assert.match(scope.stderr, /not JSON: the scope must be a JSON object, e\.g\. '\{"tier":"working"\}'/);
});

test('a revoked peer is told to ask the operator for a new token; only the operator is told about --recover-operator', async () => {
  await withDaemonHome(async (home, env) => {
    const added = runCli(['peers', 'add', 'bob', '--json'], env);
    const token = String(added.json!.token_b58);
    assert.equal(runCli(['peers', 'revoke', token], env).code, 0);
    const tokenFile = join(dirname(home), 'bob.token');
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    for (const [label, args, extra] of [
      ['COVENANT_TOKEN', ['ping'], { COVENANT_TOKEN: token }],
      ['--token-file', ['--token-file', tokenFile, 'ping'], {}],
    ] as const) {
      const human = runCli([...args], { ...env, ...extra });
      assert.equal(human.code, 1, label);
      assert.match(human.stderr, /^covenant: covenantd refused the token \(unknown or revoked token\); .*ask the operator for a new one.*\(E_AUTH_FAILED\)$/m, label);
      assert.doesNotMatch(human.stderr, /recover-operator/, label);
      const json = runCli([...args, '--json'], { ...env, ...extra });
      assert.equal(json.code, 1, label);
      assert.equal(json.json!.code, 'E_AUTH_FAILED', label);
      assert.match(String(json.json!.message), /ask the operator for a new one/, label);
    }

    // The operator's own token file holding a token the daemon refuses: the operator's fix.
    const tokenPath = homePaths(home).operatorToken;
    const operatorToken = readFileSync(tokenPath, 'utf8');
    writeFileSync(tokenPath, `${token}\n`);
    try {
      const operator = runCli(['ping', '--json'], env);
      assert.equal(operator.code, 1);
      assert.equal(operator.json!.code, 'E_AUTH_FAILED');
      assert.match(String(operator.json!.message), /peers\/operator\.token holds the new one.*covenantd --recover-operator/);
      assert.doesNotMatch(String(operator.json!.message), /ask the operator/);
    } finally {
      writeFileSync(tokenPath, operatorToken);
    }
  });
});

test('a timed-out agent is told which limit it hit: [resources] cpu_ms_per_task, a wall-clock limit', async () => {
  await withDaemonHome(async (home, env) => {
    const installed = runCli(['agents', 'install', join(REPO_ROOT, 'test', 'fixtures', 'agents', 'slow'), '--json'], env);
    assert.equal(installed.code, 0, installed.stdout + installed.stderr);
    const intent = runCli(['intent', '--agent', 'slow', '--json', 'never', 'finishes'], env);
    assert.equal(intent.code, 1, intent.stdout + intent.stderr);
    assert.equal(intent.json!.status, 'failed');
    const text = String(intent.json!.text);
    assert.match(text, /^agent slow: timed out after 3000 ms; its process group was killed\./);
    assert.match(text, /\[resources\] cpu_ms_per_task in its agent\.toml, counted in wall-clock time \(not CPU time\)/);

    const runtimeDoc = readFileSync(join(REPO_ROOT, 'docs', 'runtime.md'), 'utf8');
    assert.match(runtimeDoc, /`cpu_ms_per_task`[^\n]*\n?[^\n]*\*\*wall-clock\*\*/, 'docs/runtime.md says the limit is wall-clock time');
  });
});
