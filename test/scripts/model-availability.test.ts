import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/binaries.js';
import { fakeOllama, type FakeOllama } from '../helpers/fake-ollama.js';

// Async spawn: the stand-in Ollama runs in this process and must keep answering.
function models(home: string, ...args: string[]): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'scripts', 'model-availability.mjs'), ...args], { env: { PATH: process.env.PATH, COVENANT_HOME: home } });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout })));
}

describe('npm run models (scripts/model-availability.mjs, SPEC 16)', () => {
  let ollama: FakeOllama;
  let home: string;
  before(async () => {
    ollama = await fakeOllama();
    home = mkdtempSync(join(tmpdir(), 'covenant-models-'));
  });
  after(async () => {
    await ollama.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('Ollama: version and tags probed; ok, missing models (exit 3, ollama pull lines), unreachable (exit 2), bad arguments (exit 1)', async () => {
    writeFileSync(join(home, 'config.toml'), `[model]\nprovider = "ollama"\nchat_model = "tiny"\nendpoint = "${ollama.endpoint}"\n`);
    const ok = await models(home, '--json');
    assert.equal(ok.code, 0, ok.stdout);
    assert.deepEqual(JSON.parse(ok.stdout), { provider: 'ollama', endpoint: ollama.endpoint, ok: true, required: ['tiny'], missing: [], available: ['tiny:latest'], version: '0.0.0-fake' });
    const missing = await models(home, '--require', 'big');
    assert.equal(missing.code, 3);
    assert.match(missing.stdout, /ollama pull big\n$/);
    writeFileSync(join(home, 'config.toml'), '[model]\nprovider = "ollama"\nchat_model = "tiny"\nendpoint = "http://127.0.0.1:9"\n');
    const down = await models(home, '--json');
    assert.equal(down.code, 2);
    assert.equal((JSON.parse(down.stdout) as { ok: boolean }).ok, false);
    assert.equal((await models(home, '--require')).code, 1);
  });

  it('llama-cpp: the file and its metadata; a missing file is unreachable (exit 2)', async () => {
    writeFileSync(join(home, 'config.toml'), `[model]\nprovider = "llama-cpp"\nmodel_path = "${join(home, 'absent.gguf')}"\n`);
    const absent = await models(home, '--json');
    assert.equal(absent.code, 2);
    assert.deepEqual((JSON.parse(absent.stdout) as { missing: string[] }).missing, []);
  });
});
