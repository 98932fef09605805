// Issue 12, item 6: a tool call on server-everything through covenantd (an in-process socket
// client) vs the SDK's client calling the same server directly; and a `covenant mcp serve` call
// vs the same request over the socket. Own home and daemon, so the other ratios are unaffected.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { IpcClient } from '../../src/ipc/index.js';
import { openDatabase, type Db } from '../../src/store/index.js';
import { CLI_BIN, REPO_ROOT, spawnDaemon } from '../../test/helpers/binaries.js';
import { alternateBatches, latencyRatio, msSince, percentile, type Ratio } from './stats.js';

/** Short alternating batches (10 calls each): the load of this shared machine swings within seconds. */
const ROUNDS = 40;
const EVERYTHING_BIN = join(REPO_ROOT, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');

async function sdkClient(command: string, args: string[], env: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'covenant-bench', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command, args, env, stderr: 'ignore' }));
  return client;
}

async function waitUp(client: IpcClient): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const reply = await client.request({ kind: 'tools_servers' });
    const servers = reply.servers as Array<{ state: string }>;
    if (servers[0]?.state === 'up') return;
    if (servers[0]?.state === 'failed') throw new Error(`server-everything failed to start: ${JSON.stringify(servers[0])}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('server-everything did not come up within 60 s');
}

/**
 * The durability floor of a call through the daemon: what it must add to the SDK's call, one
 * commit of its rows (the check, the call, the receipt) with `synchronous = FULL` on the same disk.
 */
function floorCommit(dir: string): { commit: () => void; db: Db } {
  const db = openDatabase(join(dir, 'mcp-floor.db'));
  db.exec('CREATE TABLE IF NOT EXISTS floor_rows (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, payload TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO floor_rows (kind, payload) VALUES (?, ?)');
  const payload = JSON.stringify({ tool: 'mcp_ev_echo', arguments_hash_hex: '0'.repeat(64), receipt_id: '0'.repeat(36) });
  const commit = db.transaction(() => {
    for (const kind of ['capability_check', 'tool_call_completed', 'receipt']) insert.run(kind, payload);
  });
  return { commit: () => commit(), db };
}

export async function benchMcp(dir: string, count = 400): Promise<Ratio[]> {
  const home = join(dir, 'mcp-home');
  mkdirSync(home, { recursive: true, mode: 0o700 });
  writeFileSync(
    join(home, 'config.toml'),
    `[[mcp.server]]\nname = "everything"\ncommand = ${JSON.stringify(process.execPath)}\nargs = [${JSON.stringify(EVERYTHING_BIN)}, "stdio"]\ntool_prefix = "ev"\ninclude = ["echo"]\n`,
  );
  const env = { PATH: process.env.PATH ?? '', HOME: dir, COVENANT_HOME: home, COVENANT_LOG_LEVEL: 'warn' };
  const daemon = await spawnDaemon(home, env, ['--no-http']);
  const socket = await IpcClient.connect(daemon.sock);
  const clients: Client[] = [];
  try {
    await socket.authenticate(readFileSync(join(home, 'peers', 'operator.token'), 'utf8').trim());
    await waitUp(socket);
    for (const action of ['tool.call.mcp_ev_echo', 'tool.call.echo']) await socket.request({ kind: 'capabilities_grant', action });
    const direct = await sdkClient(process.execPath, [EVERYTHING_BIN, 'stdio'], { PATH: env.PATH, HOME: dir });
    const served = await sdkClient(process.execPath, [CLI_BIN, 'mcp', 'serve'], env);
    clients.push(direct, served);

    const throughDaemon = async () => {
      const reply = await socket.request({ kind: 'tools_call', name: 'mcp_ev_echo', arguments: { message: 'bench' } });
      if (reply.kind !== 'tool_result') throw new Error(`tools_call answered ${JSON.stringify(reply)}`);
    };
    const sdkDirect = async () => {
      const result = await direct.callTool({ name: 'echo', arguments: { message: 'bench' } });
      if (result.isError) throw new Error('echo failed');
    };
    const [viaDaemon, viaSdk] = await alternateBatches(throughDaemon, sdkDirect, count, 50, ROUNDS);
    const floor = floorCommit(dir);
    const commits: number[] = [];
    const [daemonAgain, viaFloor] = await alternateBatches(throughDaemon, async () => {
      await sdkDirect();
      const start = process.hrtime.bigint();
      floor.commit();
      commits.push(msSince(start));
    }, count, 50, ROUNDS);
    floor.db.close();

    const socketEcho = async () => {
      const reply = await socket.request({ kind: 'tools_call', name: 'echo', arguments: { text: 'bench' } });
      if (reply.kind !== 'tool_result') throw new Error(`tools_call answered ${JSON.stringify(reply)}`);
    };
    const servedEcho = async () => {
      const result = await served.callTool({ name: 'covenant_tool_echo', arguments: { text: 'bench' } });
      if (result.isError) throw new Error(`covenant_tool_echo failed: ${JSON.stringify(result)}`);
    };
    const [viaServe, viaSocket] = await alternateBatches(servedEcho, socketEcho, count, 50, ROUNDS);
    const [remoteAgain, builtinAgain] = await alternateBatches(throughDaemon, socketEcho, count, 50, ROUNDS);
    return [
      latencyRatio(
        {
          name: 'MCP tool call on server-everything through covenantd vs the SDK client calling it directly (p50)',
          subject: 'socket tools_call mcp_ev_echo',
          baseline: 'SDK client callTool echo',
        },
        percentile(viaDaemon, 50),
        percentile(viaSdk, 50),
        1.5,
      ),
      // What one fsynced commit costs on this disk: the SDK's call plus a commit of the call's rows.
      latencyRatio(
        {
          name: 'MCP tool call through covenantd vs the SDK call plus one synchronous=FULL commit of its rows (p50)',
          subject: 'socket tools_call mcp_ev_echo',
          baseline: 'SDK client callTool echo, then a 3-row commit (the durability floor)',
        },
        percentile(daemonAgain, 50),
        percentile(viaFloor, 50),
        'reported (no target set)',
      ),
      // The floor's parts: with the call's outcome durable before its answer, the daemon's call
      // cannot beat SDK call + this commit, so the 1.5 target needs a commit under half an SDK call.
      latencyRatio(
        {
          name: 'one synchronous=FULL commit of a call\'s rows vs the SDK call it must follow (p50)',
          subject: 'a 3-row commit on the same disk',
          baseline: 'SDK client callTool echo',
        },
        percentile(commits, 50),
        percentile(viaSdk, 50),
        'reported (<= 0.5 leaves room for the 1.5 target)',
      ),
      // Both sides pay the same capability check, audit row and receipt commit (synchronous=FULL):
      // this isolates what the MCP hop adds inside the daemon.
      latencyRatio(
        { name: 'socket tools_call of an MCP tool vs of the built-in echo (p50)', subject: 'socket tools_call mcp_ev_echo', baseline: 'socket tools_call echo' },
        percentile(remoteAgain, 50),
        percentile(builtinAgain, 50),
        'reported (no target set)',
      ),
      latencyRatio(
        { name: '`covenant mcp serve` call vs the same request over the socket (p50)', subject: 'MCP covenant_tool_echo via mcp serve', baseline: 'socket tools_call echo' },
        percentile(viaServe, 50),
        percentile(viaSocket, 50),
        'reported (no target set)',
      ),
    ];
  } finally {
    for (const client of clients) await client.close();
    socket.close();
    await daemon.stop();
  }
}
