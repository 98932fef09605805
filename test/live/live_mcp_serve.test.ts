// Live tests for `covenant mcp serve` (SPEC 11): the real covenant binary serving MCP on stdio,
// driven by the SDK's own client as a real MCP client would, against the real covenantd (with
// server-everything configured, so proxied tools are real MCP tools too). External service:
// none beyond Node and the packages.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI_BIN } from '../helpers/binaries.js';
import { liveHome, liveTest, type LiveHome } from './harness.js';
import { addPeer, okJson } from './helpers.js';
import { everything, waitForServer, writeConfig } from './mcp-helpers.js';

async function mcpClient(live: LiveHome, extraArgs: string[] = []): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI_BIN, 'mcp', 'serve', ...extraArgs],
    env: { PATH: process.env.PATH ?? '', HOME: live.env.HOME ?? '', COVENANT_HOME: live.home },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'live-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

type Result = { isError?: boolean; content: Array<{ type: string; text?: string }>; structuredContent?: Record<string, unknown> };

liveTest('live_mcp_serve_lists_tools_answers_and_refuses_through_the_daemon', async () => {
  const live = liveHome();
  try {
    writeConfig(live, everything({ include: ['echo'] }));
    await live.start();
    await waitForServer(live, 'everything', (s) => s.state === 'up', 'up');
    okJson(live.cli(['capabilities', 'grant', 'tool.call.mcp_ev_echo', '--json']), 'capability_granted');
    const client = await mcpClient(live);
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      for (const name of ['covenant_intent', 'covenant_memory_search', 'covenant_memory_write', 'covenant_audit_recent', 'covenant_tool_echo', 'covenant_tool_mcp_ev_echo']) {
        assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
      }
      const intent = (await client.callTool({ name: 'covenant_intent', arguments: { text: 'hello from an MCP client' } })) as Result;
      assert.notEqual(intent.isError, true, JSON.stringify(intent));
      assert.equal(intent.structuredContent!.kind, 'intent_result');

      const written = (await client.callTool({ name: 'covenant_memory_write', arguments: { text: 'the launch window opens at dawn' } })) as Result;
      assert.notEqual(written.isError, true, JSON.stringify(written));
      const found = (await client.callTool({ name: 'covenant_memory_search', arguments: { query: 'launch window dawn' } })) as Result;
      const records = found.structuredContent!.records as Array<{ text: string }>;
      assert.ok(records.some((r) => r.text === 'the launch window opens at dawn'), JSON.stringify(found));

      const echo = (await client.callTool({ name: 'covenant_tool_mcp_ev_echo', arguments: { message: 'through two MCP hops' } })) as Result;
      assert.deepEqual(echo.content, [{ type: 'text', text: 'Echo: through two MCP hops' }]);

      // The operator holds no tool.call.echo: the refusal is an isError result naming the grant.
      const refused = (await client.callTool({ name: 'covenant_tool_echo', arguments: { text: 'x' } })) as Result;
      assert.equal(refused.isError, true);
      assert.match(String(refused.content[0]!.text), /^E_CAPABILITY_MISSING: .*covenant capabilities grant tool\.call\.echo/);
    } finally {
      await client.close();
    }

    // As another peer (--token-file): its own capabilities, so memory.write is refused.
    const guest = addPeer(live, 'guest');
    const asGuest = await mcpClient(live, ['--token-file', guest.tokenFile]);
    try {
      const refused = (await asGuest.callTool({ name: 'covenant_memory_write', arguments: { text: 'guest note' } })) as Result;
      assert.equal(refused.isError, true);
      assert.match(String(refused.content[0]!.text), /E_CAPABILITY_MISSING: .*memory\.write.*covenant capabilities grant memory\.write/);
    } finally {
      await asGuest.close();
    }
  } finally {
    await live.dispose();
  }
});

liveTest('live_mcp_serve_exits_when_stdin_closes_with_nothing_but_protocol_on_stdout', async () => {
  const live = liveHome();
  try {
    await live.start();
    const child = spawn(process.execPath, [CLI_BIN, 'mcp', 'serve'], { env: { ...live.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) => child.stderr.once('data', () => resolve())); // it is serving
    child.stdin.end();
    assert.equal(await exited, 0, stderr);
    assert.equal(stdout, '', 'nothing but protocol on stdout, and no request was sent');
    assert.match(stderr, /serving on stdio/);
  } finally {
    await live.dispose();
  }
});
