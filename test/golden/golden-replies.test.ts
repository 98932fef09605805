/**
 * Every golden request, sent to a real daemon: the reply must have the golden response's kind
 * (an error: its code), parse with the strict response schema, and have the golden response's
 * shape (key paths and JSON types; ids, hashes, signatures, times, counts and free text may
 * differ). The cases run in order on one daemon; each prepares the state its request needs.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WireMessage } from '../../src/ipc/index.js';
import { writeFixtureAgent } from '../budget/fixture-agent.js';
import { DaemonFixture } from '../helpers/daemon-fixture.js';
import { shapeDifferences } from '../helpers/json-shape.js';
import { replySchema } from '../helpers/reply-schema.js';
import { tempDir } from '../helpers/temp-home.js';
import { waitFor } from '../helpers/wait.js';
import { REPO_ROOT } from '../helpers/binaries.js';
import { goldenFiles, loadGolden } from './golden-files.js';
import { StandInRemote } from '../a2a/federation-helpers.js';

/** Values that decide a reply's shape rather than fill it: discriminators and modes. */
const keepValue = (key: string) => key === 'kind' || key === 'type' || key === 'mode';

interface GoldenCase {
  /** test/golden/requests/<request>.json */
  request: string;
  /** test/golden/responses/<response>.json */
  response: string;
  /** Who sends it: the operator (default), a peer without capabilities, or nobody (no authentication). */
  as?: 'peer' | 'unauthenticated';
  /** New values for fields the golden request already has (ids of rows this daemon created). */
  values?: () => Record<string, unknown>;
  prepare?: () => Promise<void>;
  /** Paths whose JSON type depends on the host, not on the daemon (see json-shape.ts). */
  anyType?: readonly string[];
  /** Remembers what later cases need from the reply. */
  remember?: (reply: WireMessage) => void;
}

const MCP_FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'mcp', 'fixture-server.mjs');

let fx: DaemonFixture;
/** The remote daemon `remotes_add` registers: a stand-in serving a signed card. */
let remote: StandInRemote;
let packages: { dir: string; cleanup: () => void };
let peerToken = '';
const state = {
  agentDir: '',
  intentId: '',
  parentId: '',
  childId: '',
  bob: { token: '', pubkey: '' },
  grantedId: '',
  a2a: { taskId: '', leaseId: '' },
};

/** Sends a task to the operator itself and leases it: the state the A2A repair cases need. */
async function leasedA2aTask(text: string): Promise<void> {
  const sent = await ok({ kind: 'a2a_send', recipient: 'user@local', text });
  const leased = await ok({ kind: 'a2a_recv' });
  const task = leased.task as { id: string; lease_id: string };
  assert.equal(task.id, (sent.task as { id: string }).id);
  state.a2a = { taskId: task.id, leaseId: task.lease_id };
}

const a2aTask = () => ({ task_id: state.a2a.taskId });
const a2aLease = () => ({ task_id: state.a2a.taskId, lease_id: state.a2a.leaseId });

async function ok(request: WireMessage): Promise<WireMessage> {
  const reply = await fx.call(request);
  assert.notEqual(reply.kind, 'error', `${String(request.kind)} failed: ${JSON.stringify(reply)}`);
  return reply;
}

const CASES: GoldenCase[] = [
  { request: 'protocol_info', response: 'protocol_info', as: 'unauthenticated' },
  { request: 'authenticate', response: 'authenticated', as: 'unauthenticated', values: () => ({ token_b58: fx.operatorToken() }) },
  { request: 'authenticate', response: 'authentication_failed', as: 'unauthenticated' },
  { request: 'ping', response: 'daemon_ping' },
  // Which checks pass, fail or are skipped (ok null, a fix or none) depends on the host.
  { request: 'doctor', response: 'doctor_report', anyType: ['$.checks[].ok', '$.checks[].fix'] },
  { request: 'tools_list', response: 'tool_list' },
  { request: 'tools_call', response: 'tool_result', prepare: async () => void (await ok({ kind: 'capabilities_grant', action: 'tool.call.echo' })) },
  {
    request: 'tools_servers',
    response: 'tool_servers',
    // One MCP server up (the SDK fixture server) and one that cannot start, as in the golden.
    prepare: async () => {
      writeFileSync(
        fx.ctx.paths.config,
        `[[mcp.server]]\nname = "everything"\ncommand = ${JSON.stringify(process.execPath)}\nargs = [${JSON.stringify(MCP_FIXTURE)}, "serve"]\ntool_prefix = "ev"\n` +
          '[[mcp.server]]\nname = "broken"\ncommand = "/nonexistent/covenant-mcp-server"\n',
      );
      await fx.ctx.mcp.reload();
      const servers = () => fx.ctx.mcp.servers();
      assert.ok(await waitFor(() => servers().some((s) => s.name === 'everything' && s.state === 'up') && servers().some((s) => s.name === 'broken' && s.last_error !== null)));
    },
  },
  { request: 'tools_restart', response: 'tool_server_restarted', prepare: async () => void (await ok({ kind: 'capabilities_grant', action: 'tools.restart' })) },
  {
    request: 'agents_install',
    response: 'agent_installed',
    values: () => ({ dir: state.agentDir }),
  },
  { request: 'agents_list', response: 'agent_list' },
  { request: 'status', response: 'daemon_status' },
  { request: 'ignore_check', response: 'ignore_report' },
  { request: 'submit_intent', response: 'intent_result', remember: (reply) => void (state.intentId = String(reply.intent_id)) },
  { request: 'budget_status', response: 'budget_status' },
  {
    request: 'budget_topup',
    response: 'budget_topped_up',
    prepare: async () => {
      // Empty the bucket so that the next intent pauses (intents_resume needs one) and the top-up refills it.
      const status = await ok({ kind: 'budget_status', agent: 'research' });
      fx.ctx.budget.debit('research', (status.budgets as Array<{ balance: number }>)[0]!.balance, null);
      const paused = await fx.call({ kind: 'submit_intent', text: 'summarize the paused notes' });
      assert.equal(paused.code, 'E_BUDGET_EXHAUSTED', JSON.stringify(paused));
      await ok({ kind: 'capabilities_grant', action: 'budget.topup' });
    },
  },
  { request: 'intents_resume', response: 'intents_resume' },
  { request: 'intents_list', response: 'intents_list' },
  { request: 'intents_show', response: 'intent_detail', values: () => ({ intent_id: state.intentId }) },
  { request: 'budget_set', response: 'budget_set' },
  {
    request: 'memory_write',
    response: 'memory_written',
    prepare: async () => {
      const parent = await ok({ kind: 'memory_write', text: 'where the staging database lives', tier: 'longterm' });
      state.parentId = (parent.record as { id: string }).id;
    },
    values: () => ({ parent: state.parentId }),
    remember: (reply) => void (state.childId = (reply.record as { id: string }).id),
  },
  { request: 'memory_search', response: 'memory_read' },
  { request: 'memory_import', response: 'memory_imported' },
  {
    request: 'memory_recent',
    response: 'memory_read.recent',
    prepare: async () => void (await ok({ kind: 'memory_write', text: 'a working note', tier: 'working' })),
  },
  {
    request: 'memory_compact',
    response: 'memory_compacted',
    prepare: async () => void (await ok({ kind: 'capabilities_grant', action: 'memory.compact.apply' })),
  },
  {
    request: 'verify',
    response: 'verify_report',
    // One drift item: the record written above now names a parent that does not exist.
    prepare: async () => void fx.ctx.db.prepare('UPDATE memory_records SET parent = ? WHERE id = ?').run(randomUUID(), state.childId),
  },
  {
    request: 'memory_repair',
    response: 'memory_repair',
    prepare: async () => void (await ok({ kind: 'capabilities_grant', action: 'memory.repair.apply' })),
    values: () => ({ target_id: state.childId }),
  },
  {
    request: 'memory_purge',
    response: 'memory_purged',
    prepare: async () => void (await ok({ kind: 'capabilities_grant', action: 'memory.purge' })),
  },
  {
    request: 'memory_purge',
    response: 'error',
    as: 'peer',
    prepare: async () => void (peerToken = (await fx.addPeer('carol')).token),
  },
  {
    request: 'a2a_send',
    response: 'a2a_sent',
    prepare: async () => {
      for (const action of ['a2a.send.user@local', 'a2a.recv.user@local', 'a2a.respond.user@local', 'a2a.repair.*', 'a2a.compact']) {
        await ok({ kind: 'capabilities_grant', action });
      }
    },
  },
  { request: 'a2a_recv', response: 'a2a_received', remember: (reply) => void (state.a2a = { taskId: String((reply.task as { id: string }).id), leaseId: String((reply.task as { lease_id: string }).lease_id) }) },
  { request: 'a2a_status', response: 'a2a_status' },
  { request: 'a2a_requeue', response: 'a2a_requeued', values: a2aLease },
  {
    request: 'a2a_respond',
    response: 'a2a_responded',
    prepare: async () => void (await ok({ kind: 'a2a_recv' })),
    values: a2aTask,
  },
  { request: 'a2a_results', response: 'a2a_results' },
  { request: 'a2a_force_error', response: 'a2a_force_errored', prepare: () => leasedA2aTask('check the mirrors'), values: a2aLease },
  {
    request: 'a2a_cancel',
    response: 'a2a_canceled',
    prepare: async () => void (state.a2a.taskId = ((await ok({ kind: 'a2a_send', recipient: 'user@local', text: 'never mind' })).task as { id: string }).id),
    values: a2aTask,
  },
  { request: 'a2a_retry_stale', response: 'a2a_retry_stale' },
  { request: 'a2a_compact', response: 'a2a_compacted' },
  { request: 'remotes_add', response: 'remote_added', values: () => ({ url: remote.url }) },
  { request: 'remotes_list', response: 'remote_list' },
  { request: 'remotes_check', response: 'remotes_checked' },
  { request: 'remotes_remove', response: 'remote_removed' },
  {
    request: 'peers_add',
    response: 'peer_added',
    remember: (reply) => void (state.bob = { token: String(reply.token_b58), pubkey: (reply.agent_id as { pubkey: string }).pubkey }),
  },
  { request: 'peers_list', response: 'peer_list', values: () => ({ prefix: state.bob.pubkey.slice(0, 3) }) },
  { request: 'capabilities_grant', response: 'capability_granted', remember: (reply) => void (state.grantedId = String(reply.id)) },
  { request: 'capabilities_recent', response: 'capability_list' },
  { request: 'capabilities_revoke', response: 'capability_revoked', values: () => ({ id_or_signature: state.grantedId }) },
  {
    request: 'capabilities_purge',
    response: 'capabilities_purged',
    prepare: async () => void (await ok({ kind: 'capabilities_grant', action: 'capabilities.purge' })),
  },
  { request: 'peers_revoke', response: 'peer_revoke', values: () => ({ token_prefix: state.bob.token.slice(0, 6) }) },
  {
    request: 'peers_purge',
    response: 'peers_purged',
    prepare: async () => void (await ok({ kind: 'capabilities_grant', action: 'peers.purge' })),
  },
  {
    request: 'bootstrap',
    response: 'bootstrap',
    // Revoke one default capability, so bootstrap has one to grant again.
    prepare: async () => {
      const held = fx.ctx.db
        .prepare("SELECT id FROM capabilities WHERE action = 'peers.list' AND revoked_at IS NULL")
        .get() as { id: string };
      await ok({ kind: 'capabilities_revoke', id_or_signature: held.id });
    },
  },
  { request: 'receipts_recent', response: 'receipt_list', values: () => ({ intent_id: state.intentId }) },
  {
    request: 'chain_flush',
    response: 'receipt_batch_flushed',
    prepare: async () => void (await ok({ kind: 'capabilities_grant', action: 'chain.flush' })),
  },
  { request: 'chain_status', response: 'chain_status' },
  { request: 'chain_batches', response: 'receipt_batch_list' },
  {
    request: 'receipts_prove',
    response: 'receipt_proof',
    values: () => {
      const receipt = fx.ctx.db.prepare("SELECT id FROM receipts WHERE intent_id = ? AND resource = 'compute'").get(state.intentId) as { id: string };
      return { receipt_id: receipt.id };
    },
  },
  // The intents so far: dispatched, paused and resumed ones (their reason and ETA are null when they settled).
  { request: 'intents_list', response: 'intents_list', anyType: ['$.intents[].reason', '$.intents[].message', '$.intents[].refill_eta_ms', '$.intents[].agent'] },
  { request: 'console_code', response: 'console_code', prepare: async () => void (fx.ctx.gatewayUrl = 'http://127.0.0.1:8421') },
  { request: 'coverage_matrix', response: 'coverage_matrix', anyType: ['$.surfaces[].nextGap'] },
  {
    request: 'audit_recent',
    response: 'audit_recent',
    // An intent no agent answers: its `intent_unrouted` row.
    prepare: async () => void (await ok({ kind: 'submit_intent', text: 'hello there' })),
    values: () => ({ issuer: fx.operator.pubkey.slice(0, 8) }),
  },
  { request: 'audit_checkpoint', response: 'audit_checkpoint' },
  { request: 'audit_verify', response: 'audit_integrity' },
  {
    request: 'audit_purge',
    response: 'audit_purged',
    prepare: async () => void (await ok({ kind: 'capabilities_grant', action: 'audit.purge' })),
    // Every row of this daemon is seconds old: purge those older than one millisecond.
    values: () => ({ older_than_ms: 1 }),
  },
  { request: 'peers_rotate', response: 'operator_token_rotated' },
  { request: 'agents_remove', response: 'agent_removed' },
];

/** The golden request with the fields `values` replaces; the fields themselves stay those of the golden file. */
function requestOf(goldenCase: GoldenCase): WireMessage {
  const golden = loadGolden('requests', goldenCase.request);
  const values = goldenCase.values?.() ?? {};
  for (const key of Object.keys(values)) assert.ok(key in golden, `${goldenCase.request}: ${key} is not a field of the golden request`);
  return { ...golden, ...values } as WireMessage;
}

async function send(goldenCase: GoldenCase, request: WireMessage): Promise<WireMessage> {
  if (goldenCase.as === 'unauthenticated') {
    const client = await fx.connect();
    try {
      return await client.request(request);
    } finally {
      client.close();
    }
  }
  return fx.call(request, goldenCase.as === 'peer' ? peerToken : undefined);
}

describe('every golden request, answered by a real daemon, has the golden response shape', () => {
  before(async () => {
    packages = tempDir('covenant-golden-agents-');
    state.agentDir = writeFixtureAgent(packages.dir, 'research', { creditsPerHour: 60, ignoreRules: '!.env.example\n' });
    // The golden intent ("summarize ...") is routed to it by keyword.
    const manifest = join(state.agentDir, 'agent.toml');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('keywords = ["research"]', 'keywords = ["research", "summarize"]'));
    remote = new StandInRemote();
    await remote.start();
    fx = await DaemonFixture.start();
  });
  after(async () => {
    await fx?.stop();
    await remote?.stop();
    packages?.cleanup();
  });

  it('every golden request and response file has a case', () => {
    const requests = new Set(CASES.map((c) => c.request));
    const responses = new Set(CASES.map((c) => c.response));
    for (const name of goldenFiles('requests')) assert.ok(requests.has(name), `test/golden/requests/${name}.json is sent by no case`);
    for (const name of goldenFiles('responses')) assert.ok(responses.has(name), `test/golden/responses/${name}.json is checked by no case`);
  });

  for (const goldenCase of CASES) {
    it(`${goldenCase.request}${goldenCase.as ? ` (${goldenCase.as})` : ''} → ${goldenCase.response}`, async () => {
      await goldenCase.prepare?.();
      const request = requestOf(goldenCase);
      const reply = await send(goldenCase, request);
      const golden = loadGolden('responses', goldenCase.response);
      assert.equal(reply.kind, golden.kind, `reply: ${JSON.stringify(reply)}`);
      if (golden.kind === 'error') assert.equal(reply.code, golden.code, `reply: ${JSON.stringify(reply)}`);
      goldenCase.remember?.(reply);
      const schema = replySchema(String(request.kind), String(reply.kind));
      assert.ok(schema, `no response schema for ${String(reply.kind)}`);
      const parsed = schema.safeParse(reply);
      assert.ok(parsed.success, `the reply does not parse with the strict response schema: ${parsed.success ? '' : parsed.error.message}`);
      assert.deepEqual(shapeDifferences(golden, reply, { keepValue, anyType: goldenCase.anyType }), [], `shape of the real reply (+) against the golden (-): ${JSON.stringify(reply)}`);
    });
  }
});
