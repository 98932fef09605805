// What the gateway's cheaper `GET /tools` (issue 15 item 4) must keep: the reused tool list
// follows every change of the tool set, a token's hash kept per connection never outlives the
// token's liveness, and the router's kept answers are the trie's.
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { after, before, test } from 'node:test';
import { TrieRouter } from 'hono/router/trie-router';
import { randomBytes } from 'node:crypto';
import { hashToken, mintToken } from '../../src/peers/index.js';
import { toBase58 } from '../../src/core/index.js';
import type { ToolDefinition } from '../../src/mcp/index.js';
import { gatewayRoutes } from '../../src/gateway/index.js';
import { LiteralPathRouter } from '../../src/gateway/routes/literal-router.js';
import { lastSeq, registerPeer, revokeByHash, rowsAfter, startGatewayFixture, type GatewayFixture } from './helpers.js';

let f: GatewayFixture;
before(async () => {
  f = await startGatewayFixture();
});
after(async () => {
  await f.stop();
});

type ListedTool = Pick<ToolDefinition, 'name' | 'description' | 'inputSchema' | 'server'>;

function tool(name: string, description = `the ${name} tool`, inputSchema: Record<string, unknown> = { type: 'object' }): ToolDefinition {
  return {
    name,
    description,
    server: 'builtin',
    inputSchema,
    validate: () => null,
    call: () => Promise.resolve({ content: [], is_error: false }),
  };
}

async function listed(): Promise<ListedTool[]> {
  const answer = await fetch(`${f.url}/tools`, { headers: f.bearer() });
  assert.equal(answer.status, 200);
  return ((await answer.json()) as { tools: ListedTool[] }).tools;
}

const CHANGES: Array<{ change: string; apply: () => void; expect: (tools: ListedTool[]) => void }> = [
  {
    change: 'a tool added',
    apply: () => f.ctx.tools.add(tool('hot_path_a')),
    expect: (tools) => assert.equal(tools.find((t) => t.name === 'hot_path_a')?.description, 'the hot_path_a tool'),
  },
  {
    change: 'a tool replaced with a new description',
    apply: () => f.ctx.tools.add(tool('hot_path_a', 'described anew')),
    expect: (tools) => assert.equal(tools.find((t) => t.name === 'hot_path_a')?.description, 'described anew'),
  },
  {
    change: 'a tool replaced with a new input schema',
    apply: () => f.ctx.tools.add(tool('hot_path_a', 'described anew', { type: 'object', properties: { x: { type: 'number' } } })),
    expect: (tools) => assert.deepEqual(tools.find((t) => t.name === 'hot_path_a')?.inputSchema, { type: 'object', properties: { x: { type: 'number' } } }),
  },
  {
    change: 'a second tool added',
    apply: () => f.ctx.tools.add(tool('hot_path_b')),
    expect: (tools) => assert.deepEqual(tools.filter((t) => t.name.startsWith('hot_path_')).map((t) => t.name), ['hot_path_a', 'hot_path_b']),
  },
  {
    change: 'a tool removed',
    apply: () => f.ctx.tools.remove('hot_path_a'),
    expect: (tools) => assert.deepEqual(tools.filter((t) => t.name.startsWith('hot_path_')).map((t) => t.name), ['hot_path_b']),
  },
];

for (const { change, apply, expect } of CHANGES) {
  test(`GET /tools after ${change} lists what the registry lists, over HTTP and the socket alike`, async () => {
    const before = await listed();
    assert.deepEqual(await listed(), before, 'unchanged between two requests');
    apply();
    const now = await listed();
    expect(now);
    const expected = f.ctx.tools.list().map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema, server: t.server }));
    assert.deepEqual(now, expected);
    const client = await f.t.session();
    try {
      const reply = await client.request({ kind: 'tools_list' });
      assert.deepEqual((reply as unknown as { tools: ListedTool[] }).tools, expected);
    } finally {
      client.close();
    }
  });
}

/** One GET over `agent` (one keep-alive socket); its status and whether the socket was reused. */
function getOver(agent: Agent, path: string, token: string): Promise<{ status: number; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(`${f.url}${path}`, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end();
  });
}

interface Step {
  token: string;
  status: number;
  /** The `authentication_failed` reason the step writes, if it is refused. */
  reason?: string;
  then?: () => void;
}

/** Sends each step's `GET /tools` over one keep-alive connection: its status, its refusal rows, the connection reused. */
async function overOneConnection(steps: Step[]): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (const [index, step] of steps.entries()) {
      const from = lastSeq(f.ctx);
      const answer = await getOver(agent, '/tools', step.token);
      assert.equal(answer.status, step.status, `step ${index}`);
      if (index > 0 && step.status === 200) assert.ok(answer.reused, `step ${index} went over the same connection`);
      const refusals = rowsAfter(f.ctx, from).filter((row) => row.kind === 'authentication_failed');
      assert.deepEqual(
        refusals.map((row) => row.payload.reason),
        step.reason === undefined ? [] : [step.reason],
        `step ${index}`,
      );
      step.then?.();
    }
  } finally {
    agent.destroy();
  }
}

test('on one keep-alive connection: a revoked token is refused (and audited) on the very next request; another token is that token', async () => {
  const alice = registerPeer(f.ctx, 'alice');
  const bob = registerPeer(f.ctx, 'bob');
  await overOneConnection([
    { token: alice.token, status: 200 },
    { token: alice.token, status: 200 },
    { token: bob.token, status: 200 },
    { token: alice.token, status: 200, then: () => revokeByHash(f.ctx, alice.tokenHash) },
    { token: alice.token, status: 401, reason: 'revoked token' },
    { token: bob.token, status: 200 },
  ]);
});

test('on one keep-alive connection: the caller kept for a token follows the peers table (a refused token is never kept, another peer changing keeps it)', async () => {
  const carol = { token: mintToken(), agentId: { display: 'carol@test', pubkey: toBase58(randomBytes(32)) } };
  await overOneConnection([
    { token: carol.token, status: 401, reason: 'unknown token', then: () => f.ctx.peers.register(carol.token, carol.agentId, 'peer') },
    { token: carol.token, status: 200, then: () => registerPeer(f.ctx, 'dave') },
    { token: carol.token, status: 200, then: () => revokeByHash(f.ctx, hashToken(carol.token)) },
    { token: carol.token, status: 401, reason: 'revoked token' },
  ]);
});

test("the router's kept answers for literal paths are the trie's, and a path no route names is never kept", () => {
  const literal = new LiteralPathRouter<string>();
  const trie = new TrieRouter<string>();
  for (const router of [literal, trie]) {
    router.add('ALL', '*', 'middleware');
    for (const route of gatewayRoutes()) router.add(route.method, route.path, `${route.method} ${route.path}`);
  }
  const paths = [...gatewayRoutes().map((r) => r.path.replace(/:[^/]+/g, 'x1')), '/nosuch', '/', '/tools/'];
  for (const method of ['GET', 'POST', 'HEAD', 'DELETE']) {
    for (const path of paths) {
      const first = literal.match(method, path);
      assert.deepEqual(first, trie.match(method, path), `${method} ${path}`);
      assert.deepEqual(literal.match(method, path), first, `${method} ${path}, asked again`);
    }
  }
  const kept = (router: LiteralPathRouter<string>) => (router as unknown as { answers: Map<string, unknown> }).answers;
  const before = kept(literal).size;
  for (let i = 0; i < 50; i += 1) literal.match('GET', `/intents/${i}/events`);
  assert.equal(kept(literal).size, before);
  literal.add('GET', '/later', 'later');
  assert.equal(kept(literal).size, 0, 'a route added forgets every kept answer');
  assert.deepEqual(literal.match('GET', '/later'), (() => (trie.add('GET', '/later', 'later'), trie.match('GET', '/later')))());
});
