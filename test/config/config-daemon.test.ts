// config.toml as the user meets it: `covenant config check|show` with no daemon, covenantd refusing
// to start on an invalid file (exit 78, key and line on stderr), and a SIGHUP with an invalid file
// refused, logged and audited while the daemon keeps serving with the config it had.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { DAEMON_BIN, operatorClient, runCli, spawnDaemon } from '../helpers/binaries.js';
import { auditPayloads } from '../helpers/audit-rows.js';
import { tempDir } from '../helpers/temp-home.js';
import { waitFor } from '../helpers/wait.js';

function scene() {
  const { dir, cleanup } = tempDir('covenant-config-');
  const home = join(dir, 'home');
  mkdirSync(home, { mode: 0o700 });
  const env = { PATH: process.env.PATH, HOME: dir, COVENANT_HOME: home };
  return { dir, home, env, config: join(home, 'config.toml'), cleanup };
}

const BAD = '[model]\nprovider = "none"\n\n[bogus]\nx = 1\n\n[[mcp.server]]\nname = "a"\ncomand = "node"\n';

test('covenant config check and show work with no daemon: problems with their lines, exit 1; effective values with defaults', () => {
  const s = scene();
  try {
    writeFileSync(s.config, BAD);
    const human = runCli(['config', 'check'], s.env);
    assert.equal(human.code, 1, human.stderr);
    assert.equal(
      human.stdout,
      [
        `${s.config}: INVALID (3 problems)`,
        `  ${s.config}:4: bogus: unknown section; allowed sections: model, memory, mcp`,
        `  ${s.config}:7: mcp.server[0].command: Invalid input: expected string, received undefined`,
        `  ${s.config}:9: mcp.server[0].comand: unknown key; allowed keys: name, command, args, env, cwd, enabled, tool_prefix, include, exclude, startup_timeout_ms, call_timeout_ms`,
        'docs/configuration.md lists every key',
        '',
      ].join('\n'),
    );
    const json = runCli(['config', 'check', '--json'], s.env);
    assert.equal(json.code, 1);
    assert.deepEqual(json.json, {
      kind: 'config_check',
      file: s.config,
      exists: true,
      valid: false,
      problems: [
        { key: 'bogus', line: 4, message: 'unknown section; allowed sections: model, memory, mcp' },
        { key: 'mcp.server[0].command', line: 7, message: 'Invalid input: expected string, received undefined' },
        {
          key: 'mcp.server[0].comand',
          line: 9,
          message: 'unknown key; allowed keys: name, command, args, env, cwd, enabled, tool_prefix, include, exclude, startup_timeout_ms, call_timeout_ms',
        },
      ],
    });
    const refusedShow = runCli(['config', 'show', '--json'], s.env);
    assert.equal(refusedShow.code, 1);
    assert.equal(refusedShow.json!.code, 'E_CONFIG_INVALID');

    const other = join(s.dir, 'other.toml');
    writeFileSync(other, '[[mcp.server]]\nname = "a"\ncommand = "node"\nenv = { API_KEY = "sk-verysecretvalue123" }\n');
    const ok = runCli(['config', 'check', '--file', other, '--json'], s.env);
    assert.equal(ok.code, 0);
    assert.deepEqual(ok.json, { kind: 'config_check', file: other, exists: true, valid: true, problems: [] });
    const shown = runCli(['config', 'show', '--file', other, '--json'], s.env);
    assert.equal(shown.code, 0, shown.stderr);
    const config = shown.json!.config as { model: unknown; mcp: { server: Array<Record<string, unknown>> } };
    assert.deepEqual(config.model, { provider: 'none', endpoint: 'http://127.0.0.1:11434', timeout_ms: 120_000, max_tokens: 512, threads: 1, context_size: 2048 });
    assert.deepEqual(config.mcp.server[0], {
      name: 'a',
      command: 'node',
      args: [],
      env: { API_KEY: 'sk-ver…' },
      enabled: true,
      include: [],
      exclude: [],
      startup_timeout_ms: 10000,
      call_timeout_ms: 30000,
    });
    const text = runCli(['config', 'show', '--file', other], s.env);
    assert.ok(!text.stdout.includes('verysecret'), text.stdout);
    assert.match(text.stdout, /^\[memory\.retention\.working\]\nmax_age_ms = 86400000\nmax_count = "unlimited"$/m);
    const missing = runCli(['config', 'check', '--file', join(s.dir, 'none.toml')], s.env);
    assert.equal(missing.code, 0);
    assert.match(missing.stdout, /no such file \(valid: every default applies\)/);
  } finally {
    s.cleanup();
  }
});

test('covenantd refuses to start on an invalid config.toml: every key and line on stderr, exit 78, nothing served', () => {
  const s = scene();
  try {
    writeFileSync(s.config, BAD);
    const run = spawnSync(process.execPath, [DAEMON_BIN, '--no-http'], { env: s.env, encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 78, run.stderr);
    assert.match(run.stderr, new RegExp(`^covenantd: ${s.config} is not valid \\(3 problems\\); covenantd does not start:\n`));
    assert.ok(run.stderr.includes(`  ${s.config}:4: bogus: unknown section`), run.stderr);
    assert.ok(run.stderr.includes(`  ${s.config}:9: mcp.server[0].comand: unknown key`), run.stderr);
    assert.match(run.stderr, /covenant config check.*\(E_CONFIG_INVALID\)\n$/s);
    assert.equal(existsSync(join(s.home, 'sock')), false);
  } finally {
    s.cleanup();
  }
});

test('SIGHUP with an invalid config.toml is refused, logged and audited; the daemon keeps serving with its config', async () => {
  const s = scene();
  try {
    writeFileSync(s.config, '[model]\nprovider = "none"\n');
    const daemon = await spawnDaemon(s.home, s.env);
    try {
      writeFileSync(s.config, '[model]\nprovider = "none"\nendpoint = \n');
      daemon.child.kill('SIGHUP');
      assert.ok(await waitFor(() => daemon.stderr().includes('SIGHUP refused')), daemon.stderr());
      assert.match(daemon.stderr(), /config\.toml:3: not valid TOML/);
      writeFileSync(s.config, '[model]\nprovder = "ollama"\n');
      daemon.child.kill('SIGHUP');
      assert.ok(await waitFor(() => daemon.stderr().includes('model.provder: unknown key')), daemon.stderr());

      const client = await operatorClient(s.home);
      try {
        assert.equal((await client.call('ping', {})).kind, 'daemon_ping', 'still serving');
        const doctor = await client.call('doctor', {});
        const check = doctor.checks.find((c) => c.name === 'config');
        assert.equal(check?.ok, false);
        assert.match(check.detail, /E_CONFIG_INVALID: a SIGHUP at .* was refused, covenantd runs with the previous configuration: .*config\.toml:2: model\.provder: unknown key/);
        assert.match(String(check.fix), /covenant config check/);

        const db = new Database(join(s.home, 'covenant.db'), { readonly: true });
        try {
          const refused = auditPayloads(db, 'config_reload_refused');
          assert.equal(refused.length, 2);
          assert.deepEqual(refused[1], {
            path: s.config,
            problems: [{ key: 'model.provder', line: 2, message: 'unknown key; allowed keys: provider, endpoint, chat_model, embed_model, timeout_ms, max_tokens, keep_alive, model_path, threads, context_size' }],
          });
        } finally {
          db.close();
        }

        writeFileSync(s.config, '[model]\nprovider = "none"\n');
        daemon.child.kill('SIGHUP');
        assert.ok(await waitFor(() => daemon.stderr().includes('config.toml reloaded')), daemon.stderr());
        const after = await client.call('doctor', {});
        assert.equal(after.checks.find((c) => c.name === 'config')?.ok, true);
        const db2 = new Database(join(s.home, 'covenant.db'), { readonly: true });
        try {
          assert.deepEqual(auditPayloads(db2, 'config_reloaded'), [{ path: s.config }]);
        } finally {
          db2.close();
        }
      } finally {
        client.close();
      }
    } finally {
      assert.equal(await daemon.stop(), 0);
    }
  } finally {
    s.cleanup();
  }
});
