import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LlamaCppProvider, readGguf } from '../../src/model/index.js';
// @ts-expect-error -- a plain .mjs script without declarations
import { testModelBytes } from '../../scripts/make-test-model.mjs';
import { waitFor } from '../helpers/wait.js';
import { refused } from '../helpers/refusal.js';

const makeModel = testModelBytes as (options?: { omit?: string }) => Buffer;
const installed = (() => {
  try {
    createRequire(import.meta.url).resolve('node-llama-cpp');
    return true;
  } catch {
    return false;
  }
})();
const never = new AbortController().signal;
const ask = { messages: [{ role: 'user' as const, content: 'what is the audit log?' }], maxTokens: 16 };

describe('llama-cpp provider on the generated test model', { skip: installed ? false : 'node-llama-cpp (optional dependency) is not installed' }, () => {
  let dir: string;
  const open: LlamaCppProvider[] = [];
  const provider = (file: string) => {
    const p = new LlamaCppProvider({ modelPath: join(dir, file), threads: 1, contextSize: 512, timeoutMs: 60_000 });
    open.push(p);
    return p;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'covenant-gguf-'));
    const good = makeModel();
    writeFileSync(join(dir, 'model.gguf'), good);
    writeFileSync(join(dir, 'truncated.gguf'), good.subarray(0, 200));
    writeFileSync(join(dir, 'aborts.gguf'), makeModel({ omit: 'llama.feed_forward_length' }));
    writeFileSync(join(dir, 'text.gguf'), 'not a model\n');
  });
  after(async () => {
    await Promise.all(open.map((p) => p.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('the generated file is a GGUF v3 llama model with the metadata the issue lists', () => {
    const read = readGguf(join(dir, 'model.gguf'));
    assert.ok(read.ok);
    assert.equal(read.info.version, 3);
    assert.equal(read.info.metadata['general.architecture'], 'llama');
    assert.equal(read.info.metadata['tokenizer.ggml.model'], 'gpt2');
    assert.deepEqual(read.info.metadata['tokenizer.ggml.tokens'], { array: 257 });
    assert.equal(read.info.tensorCount, 3 + 2 * 9);
  });

  it('chats deterministically in a child process, with the tokens used; embeds', async () => {
    const p = provider('model.gguf');
    const first = await p.chat(ask, never);
    const second = await p.chat(ask, never);
    assert.equal(first.text, second.text);
    assert.ok(first.text.length > 0);
    assert.match(first.text, /^[\x20-\x7e]+$/, 'printable ASCII only');
    assert.equal(first.tokens.completion, 16);
    assert.ok(first.tokens.prompt > 0);
    assert.notEqual(p.pid, process.pid);
    const embed = await p.embed(['hello', 'world'], never);
    assert.equal(embed.vectors.length, 2);
    assert.equal(embed.vectors[0]?.length, 64);
  });

  it('a child that dies is started again on the next call', async () => {
    const p = provider('model.gguf');
    const before = await p.chat(ask, never);
    const pid = p.pid!;
    process.kill(pid, 'SIGKILL');
    assert.ok(await waitFor(() => p.pid === undefined), 'the provider sees its child die');
    const again = await p.chat(ask, never);
    assert.equal(again.text, before.text);
    assert.equal(p.starts, 2);
  });

  it('a missing, truncated or foreign file is refused before any child starts', async () => {
    const missing = await refused(provider('nope.gguf').chat(ask, never));
    assert.equal(missing.code, 'E_MODEL_NOT_FOUND');
    assert.match(missing.message, /nope\.gguf .*no such file/);
    const truncated = await refused(provider('truncated.gguf').chat(ask, never));
    assert.equal(truncated.code, 'E_MODEL_UNAVAILABLE');
    assert.match(truncated.message, /truncated/);
    const text = await refused(provider('text.gguf').chat(ask, never));
    assert.match(text.message, /not a GGUF file/);
  });

  it('a file that aborts the loader kills only the child: a clear error, this process unaffected', async () => {
    const p = provider('aborts.gguf');
    const error = await refused(p.chat(ask, never));
    assert.equal(error.code, 'E_MODEL_UNAVAILABLE');
    assert.match(error.message, /aborts\.gguf/);
    assert.match(error.message, /killed by SIGABRT|could not be loaded|exited with code/);
    // The test process (the daemon's stand-in) is still here and the good model still answers.
    assert.ok((await provider('model.gguf').chat(ask, never)).text.length > 0);
  });
});
