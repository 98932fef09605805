// The stdio transport on a real child process (a one-line node script): JSON-RPC framing through
// the SDK's helpers, garbage lines skipped and noted, the message cap closing the transport, its
// own process group, the allowlisted environment, the bounded log.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { ProcessTransport, serverEnvironment, StderrLog } from '../../src/mcp/index.js';
import { waitFor } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'covenant-mcp-transport-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function transportFor(script: string, log: StderrLog, maxMessageBytes = 1024): ProcessTransport {
  return new ProcessTransport({ command: process.execPath, args: ['-e', script], cwd: dir, env: serverEnvironment(process.env, {}), log, maxMessageBytes });
}

test('only PATH, HOME, LANG, TERM, USER pass, plus the entry env', () => {
  const env = serverEnvironment({ PATH: '/bin', HOME: '/h', COVENANT_TOKEN: 'secret', AWS_SECRET_ACCESS_KEY: 's', USER: 'u' }, { API: 'x' });
  assert.deepEqual(env, { PATH: '/bin', HOME: '/h', USER: 'u', API: 'x' });
});

test('messages are framed by the SDK, garbage is skipped and noted, a line over the cap closes the transport', async () => {
  const log = new StderrLog(join(dir, 'framing.log'));
  const script = `
    process.stdout.write('not json-rpc\\n');
    process.stdout.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' }) + '\\n');
    process.stderr.write('hello from stderr\\n');
    setTimeout(() => process.stdout.write('x'.repeat(700)), 50);
    setTimeout(() => process.stdout.write('y'.repeat(700)), 100);
    setInterval(() => {}, 1000);`;
  const transport = transportFor(script, log);
  const messages: JSONRPCMessage[] = [];
  let closed = false;
  transport.onmessage = (m) => messages.push(m);
  transport.onclose = () => (closed = true);
  await transport.start();
  const pid = transport.pid!;
  try {
    assert.ok(await waitFor(() => closed, 60_000), 'the oversized line closed the transport');
  } finally {
    await transport.close(); // a failing run must not leave the child holding the test open
  }
  assert.deepEqual(messages, [{ jsonrpc: '2.0', method: 'notifications/tools/list_changed' }]);
  assert.equal(transport.closeReason, 'the server sent a message over 1024 bytes');
  assert.throws(() => process.kill(-pid, 0), 'the process group is gone');
  const lines = log.lastLines();
  assert.ok(lines.some((l) => l.startsWith('[covenant] ignored a line on stdout that is not JSON-RPC')), lines.join('\n'));
  assert.ok(lines.includes('hello from stderr'));
  assert.ok(lines.includes('[covenant] a message over 1024 bytes: closing the transport'));
  assert.match(readFileSync(join(dir, 'framing.log'), 'utf8'), /hello from stderr/);
});

test('a line over the cap inside one write (after a good message) also closes the transport', async () => {
  const log = new StderrLog(join(dir, 'one-write.log'));
  const good = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
  const transport = transportFor(`process.stdout.write(${JSON.stringify(good)} + '\\n' + 'z'.repeat(1500) + '\\n'); setInterval(() => {}, 1000);`, log);
  const messages: JSONRPCMessage[] = [];
  let closed = false;
  transport.onmessage = (m) => messages.push(m);
  transport.onclose = () => (closed = true);
  await transport.start();
  try {
    assert.ok(await waitFor(() => closed, 60_000), 'closed');
  } finally {
    await transport.close();
  }
  assert.equal(transport.closeReason, 'the server sent a message over 1024 bytes');
  assert.ok(messages.length <= 1);
});

test('the stderr log rotates past its bound and keeps the last lines', () => {
  const path = join(dir, 'rotate.log');
  const log = new StderrLog(path, 1000);
  for (let i = 0; i < 100; i++) log.write(Buffer.from(`line ${i} ${'.'.repeat(40)}\n`));
  assert.ok(statSync(path).size <= 1000);
  assert.ok(statSync(`${path}.1`).size <= 1000);
  assert.equal(log.lastLines().at(-1), `line 99 ${'.'.repeat(40)}`);
  assert.equal(log.lastLines().length, 20);
});
