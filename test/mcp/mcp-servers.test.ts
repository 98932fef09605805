// McpServers with a fake connection: config entries to supervisors, tools into the registry with
// prefix and globs, misconfigured entries shown as failed, reload, restart re-reading the entry.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CovenantError, systemClock } from '../../src/core/index.js';
import { builtinTools, McpServers, ToolRegistry, type McpConnection, type McpTool } from '../../src/mcp/index.js';

const dir = mkdtempSync(join(tmpdir(), 'covenant-mcp-servers-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const tool = (name: string): McpTool => ({ name, description: `remote ${name}`, inputSchema: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] } });

function fakeConnection(tools: McpTool[]): McpConnection {
  return {
    pid: 1,
    listTools: async () => tools,
    callTool: async (name, args) => ({ content: [{ type: 'text', text: `${name}:${JSON.stringify(args)}` }], structuredContent: { echoed: args } }),
    close: async () => undefined,
    isClosed: () => false,
    onClose: () => undefined,
    onToolsChanged: () => undefined,
  };
}

function setup(config: string) {
  const configPath = join(dir, `config-${Math.random().toString(36).slice(2)}.toml`);
  writeFileSync(configPath, config);
  const registry = new ToolRegistry(builtinTools(systemClock));
  const states: string[] = [];
  const servers = new McpServers({
    configPath,
    logsDir: dir,
    workDir: dir,
    registry,
    daemonEnv: {},
    clientVersion: 'test',
    log: { info: () => undefined, warn: () => undefined },
    connect: async (serverConfig) => fakeConnection(serverConfig.name === 'clash' ? [tool('echo')] : [tool('get-sum'), tool('get-env'), tool('echo'), tool('bad.name')]),
    onState: (server, from, to) => states.push(`${server}:${from}->${to}`),
  });
  return { configPath, registry, servers, states };
}

test('tools are advertised with the prefix, filtered by globs, never shadowing a built-in', async () => {
  const { registry, servers, states } = setup(
    '[[mcp.server]]\nname = "ev"\ncommand = "x"\ntool_prefix = "ev"\nexclude = ["get-env"]\n[[mcp.server]]\nname = "clash"\ncommand = "x"\n',
  );
  await servers.start();
  assert.deepEqual(
    registry.list().map((t) => `${t.name}@${t.server}`),
    ['clock@builtin', 'echo@builtin', 'mcp_ev_echo@ev', 'mcp_ev_get-sum@ev'],
  );
  assert.deepEqual(
    servers.servers().map((s) => [s.name, s.state, s.tools]),
    [
      ['clash', 'up', []],
      ['ev', 'up', ['mcp_ev_echo', 'mcp_ev_get-sum']],
    ],
  );
  assert.ok(states.includes('ev:starting->up'));
  // Ajv checks the arguments before the call; a good call passes content and structured content.
  await assert.rejects(registry.call('mcp_ev_get-sum', { n: 'one' }), (e: unknown) => e instanceof CovenantError && e.code === 'E_BAD_REQUEST' && /n: must be number/.test(e.message));
  const output = await registry.call('mcp_ev_get-sum', { n: 1 });
  assert.deepEqual(output, { content: [{ type: 'text', text: 'get-sum:{"n":1}' }], structured_content: { echoed: { n: 1 } }, is_error: false });
  await servers.stop();
});

test('a misconfigured entry is a failed server naming the key; the others run; restart says E_CONFIG_INVALID', async () => {
  const { servers } = setup('[[mcp.server]]\nname = "ok"\ncommand = "x"\n[[mcp.server]]\nname = "typo"\ncommand = "x"\ntimeout = 5\n');
  await servers.start();
  const views = servers.servers();
  assert.deepEqual(views.map((s) => [s.name, s.state]), [['ok', 'up'], ['typo', 'failed']]);
  assert.match(views[1]!.last_error!, /^E_CONFIG_INVALID: .*mcp\.server\[1\]\.timeout: unknown key/);
  await assert.rejects(servers.restart('typo'), (e: unknown) => e instanceof CovenantError && e.code === 'E_CONFIG_INVALID');
  await assert.rejects(servers.restart('nosuch'), (e: unknown) => e instanceof CovenantError && e.code === 'E_NOT_FOUND');
  await servers.stop();
});

test('reload starts new entries, stops removed ones and takes their tools away', async () => {
  const { configPath, registry, servers } = setup('[[mcp.server]]\nname = "a"\ncommand = "x"\ntool_prefix = "a"\n');
  await servers.start();
  assert.ok(registry.has('mcp_a_echo'));
  writeFileSync(configPath, '[[mcp.server]]\nname = "b"\ncommand = "x"\ntool_prefix = "b"\ninclude = ["echo"]\n');
  await servers.reload();
  assert.equal(registry.has('mcp_a_echo'), false);
  assert.deepEqual(servers.servers().map((s) => [s.name, s.tools]), [['b', ['mcp_b_echo']]]);
  await servers.stop();
});
