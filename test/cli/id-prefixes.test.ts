/**
 * Issue 10 item 10: plain `capabilities recent` and `receipts recent` show short ids, and every
 * request that takes an id takes any unique prefix of it, resolved by the daemon (the same over
 * the socket without the CLI): `capabilities revoke`, `receipts prove`, `intents resume`. An
 * ambiguous prefix is refused (E_AMBIGUOUS) listing the matches — only ids the caller may see.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { operatorClient, REPO_ROOT, runCli, withDaemonHome } from '../helpers/binaries.js';

interface Cap {
  id: string;
  action: string;
  revoked_at: number | null;
}

test('short ids shown, unique prefixes taken everywhere an id is, ambiguous prefixes refused with the matches', async () => {
  await withDaemonHome(async (home, env) => {
    const caps = () => (runCli(['capabilities', 'recent', '-n', '1000', '--json'], env).json!.capabilities as Cap[]).filter((c) => c.revoked_at === null);
    // Short ids in the plain list, one per line, matching the JSON ids.
    const listed = runCli(['capabilities', 'recent'], env);
    assert.equal(listed.code, 0, listed.stderr);
    const lines = listed.stdout.trimEnd().split('\n');
    const ids = caps().map((c) => c.id);
    assert.equal(lines.length, ids.length);
    lines.forEach((line, i) => assert.ok(line.startsWith(`${ids[i]!.slice(0, 8)}  `), line));

    for (const action of ['tool.call.first', 'tool.call.second']) assert.equal(runCli(['capabilities', 'grant', action], env).code, 0);
    // Grant until two live capabilities share a first character (16 hex digits: at most 17).
    let shared: string | undefined;
    for (let i = 0; shared === undefined; i += 1) {
      assert.equal(runCli(['capabilities', 'grant', `tool.call.t${i}`], env).code, 0);
      const firsts = caps().map((c) => c.id[0]!);
      shared = firsts.find((ch, j) => firsts.indexOf(ch) !== j);
    }
    const ambiguous = runCli(['capabilities', 'revoke', shared], env);
    assert.equal(ambiguous.code, 1);
    assert.match(ambiguous.stderr.trimEnd(), new RegExp(`^covenant: ${shared} is the start of \\d+ capability ids: [0-9a-f]{8}… \\(\\S+ to user@local\\), .*; give more characters of the id \\(E_AMBIGUOUS\\)$`));
    assert.equal(caps().filter((c) => c.id.startsWith(shared)).length >= 2, true, 'nothing revoked');
    const ambiguousJson = runCli(['capabilities', 'revoke', shared, '--json'], env);
    assert.equal(ambiguousJson.json!.code, 'E_AMBIGUOUS');

    // A unique prefix (8 characters, as listed) revokes the whole id.
    const target = caps().find((c) => c.action === 'tool.call.first')!;
    const revoked = runCli(['capabilities', 'revoke', target.id.slice(0, 8), '--json'], env);
    assert.equal(revoked.code, 0, revoked.stdout + revoked.stderr);
    assert.equal(revoked.json!.id, target.id);

    // The same over the socket, without the CLI: the daemon resolves the prefix.
    const other = caps().find((c) => c.action === 'tool.call.second')!;
    const client = await operatorClient(home);
    try {
      const reply = await client.request({ kind: 'capabilities_revoke', id_or_signature: other.id.slice(0, 10) });
      assert.equal(reply.kind, 'capability_revoked', JSON.stringify(reply));
      assert.equal(reply.id, other.id);
    } finally {
      client.close();
    }

    // A peer's prefix only matches what it may see: the operator's ids are not listed to it.
    const bob = runCli(['peers', 'add', 'bob', '--json'], env);
    const asBob = { ...env, COVENANT_TOKEN: String(bob.json!.token_b58) };
    const hidden = runCli(['capabilities', 'revoke', shared, '--json'], asBob);
    assert.equal(hidden.code, 1);
    assert.equal(hidden.json!.code, 'E_NOT_FOUND', String(hidden.json!.message));

    // receipts prove <prefix>: a tool receipt, batched.
    assert.equal(runCli(['capabilities', 'grant', 'tool.call.echo'], env).code, 0);
    assert.equal(runCli(['capabilities', 'grant', 'chain.flush'], env).code, 0);
    assert.equal(runCli(['tools', 'call', 'echo', '--args', '{"text":"hi"}'], env).code, 0);
    assert.equal(runCli(['chain', 'flush-receipts'], env).code, 0);
    const receipt = (runCli(['receipts', 'recent', '--resource', 'tool', '--json'], env).json!.receipts as Array<{ id: string }>)[0]!;
    const receiptsPlain = runCli(['receipts', 'recent', '--resource', 'tool'], env);
    assert.match(receiptsPlain.stdout, new RegExp(`\\t${receipt.id.slice(0, 8)}\\ttool\\t`));
    assert.doesNotMatch(receiptsPlain.stdout, new RegExp(receipt.id));
    const proof = runCli(['receipts', 'prove', receipt.id.slice(0, 8), '--json'], env);
    assert.equal(proof.code, 0, proof.stdout + proof.stderr);
    assert.equal(proof.json!.kind, 'receipt_proof');
    assert.equal(JSON.stringify(proof.json).includes(receipt.id), true);

    // intents resume <prefix>: a paused intent of the caller's.
    assert.equal(runCli(['agents', 'install', join(REPO_ROOT, 'agents', 'hello')], env).code, 0);
    assert.equal(runCli(['budget', 'set', 'hello', '1'], env).code, 0);
    assert.equal(runCli(['intent', '--agent', 'hello', 'first'], env).code, 0);
    const paused = runCli(['intent', '--agent', 'hello', '--json', 'second'], env);
    assert.equal(paused.json!.code, 'E_BUDGET_EXHAUSTED', paused.stdout);
    const intentId = /intent ([0-9a-f-]{36}) is paused/.exec(String(paused.json!.message))![1]!;
    const resumed = runCli(['intents', 'resume', intentId.slice(0, 8), '--json'], env);
    assert.equal(resumed.json!.kind, 'intents_resume', resumed.stdout);
    assert.equal(resumed.json!.intent_id, intentId);
    const unknown = runCli(['intents', 'resume', 'fffffff0', '--json'], env);
    assert.equal(unknown.json!.code, 'E_NOT_FOUND', unknown.stdout);
  });
});
