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

test('memory write --parent, memory repair and receipts recent --intent take a unique prefix too; ambiguous ones are refused', async () => {
  await withDaemonHome(async (home, env) => {
    const parent = runCli(['memory', 'write', 'the parent note', '--json'], env);
    assert.equal(parent.code, 0, parent.stdout + parent.stderr);
    const parentId = String((parent.json!.record as { id: string }).id);
    const child = runCli(['memory', 'write', 'a child note', '--parent', parentId.slice(0, 8), '--json'], env);
    assert.equal(child.code, 0, child.stdout + child.stderr);
    const childRecord = child.json!.record as { id: string; parent: string };
    assert.equal(childRecord.parent, parentId, 'the prefix names the whole id');

    // memory repair <action> <prefix>: the dry run names the whole record.
    assert.equal(runCli(['capabilities', 'grant', 'memory.repair.dry_run'], env).code, 0);
    const repair = runCli(['memory', 'repair', 'detach-parent', childRecord.id.slice(0, 8), '--reason', 'test', '--json'], env);
    assert.equal(repair.code, 0, repair.stdout + repair.stderr);
    assert.equal(repair.json!.id, childRecord.id);

    // Two of the operator's records sharing a first character make that character ambiguous.
    const client = await operatorClient(home);
    let shared: string | undefined;
    try {
      const ids = [parentId, childRecord.id];
      while (shared === undefined) {
        const written = await client.request({ kind: 'memory_write', text: `note ${ids.length}` });
        ids.push(String((written.record as { id: string }).id));
        const firsts = ids.map((id) => id[0]!);
        shared = firsts.find((ch, j) => firsts.indexOf(ch) !== j);
      }
    } finally {
      client.close();
    }
    const ambiguous = runCli(['memory', 'write', 'orphan', '--parent', shared, '--json'], env);
    assert.equal(ambiguous.json!.code, 'E_AMBIGUOUS', ambiguous.stdout);
    assert.match(String(ambiguous.json!.message), new RegExp(`^${shared} is the start of \\d+ memory record ids: [0-9a-f]{8}… \\((working|episodic|longterm) record, \\d+ characters\\)`));
    const repairAmbiguous = runCli(['memory', 'repair', 'delete', shared, '--reason', 'test', '--json'], env);
    assert.equal(repairAmbiguous.json!.code, 'E_AMBIGUOUS', repairAmbiguous.stdout);

    // Another peer's prefix never matches the operator's records.
    const bob = runCli(['peers', 'add', 'bob', '--json'], env);
    assert.equal(runCli(['capabilities', 'grant', 'memory.write', '--to', 'bob@peer'], env).code, 0);
    const asBob = { ...env, COVENANT_TOKEN: String(bob.json!.token_b58) };
    const hidden = runCli(['memory', 'write', 'not yours', '--parent', parentId.slice(0, 8), '--json'], asBob);
    assert.equal(hidden.json!.code, 'E_NOT_FOUND', hidden.stdout);

    // receipts recent --intent <prefix>: the intent's receipts (several receipts of one intent are one match: test/requests/prefix-matches.test.ts).
    assert.equal(runCli(['agents', 'install', join(REPO_ROOT, 'agents', 'hello')], env).code, 0);
    const intent = runCli(['intent', '--agent', 'hello', '--json', 'hello there'], env);
    assert.equal(intent.code, 0, intent.stdout + intent.stderr);
    const intentId = String(intent.json!.intent_id);
    const receipts = runCli(['receipts', 'recent', '--intent', intentId.slice(0, 8), '--json'], env);
    assert.equal(receipts.code, 0, receipts.stdout + receipts.stderr);
    assert.equal((receipts.json!.filters as { intent_id: string }).intent_id, intentId);
    const listed = receipts.json!.receipts as Array<{ intent_id: string }>;
    assert.ok(listed.length >= 1 && listed.every((r) => r.intent_id === intentId), JSON.stringify(listed));
  });
});
