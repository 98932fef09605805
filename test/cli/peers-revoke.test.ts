/**
 * Issue 10 item 11, SPEC 8: `peers revoke` matches a whole token by its hash, a longer prefix on
 * the stored 6 characters (and says so), a pubkey prefix with --by-pubkey; its refusals read
 * like every other refusal: `covenant: <message> (<code>)` on stderr, exit 1, and with --json
 * the outcome carries the same code and message.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { homePaths } from '../../src/home/index.js';
import { runCli, withDaemonHome } from '../helpers/binaries.js';

interface Outcome {
  type: string;
  matched_on?: string;
  code?: string;
  message: string;
  matches?: Array<{ token_prefix: string }>;
}

test('peers revoke: whole token, longer prefix on the stored 6, --by-pubkey; refusals on stderr with a code', async () => {
  await withDaemonHome(async (home, env) => {
    const add = (name: string) => {
      const added = runCli(['peers', 'add', name, '--json'], env);
      assert.equal(added.code, 0, added.stderr);
      return { token: String(added.json!.token_b58), pubkey: String((added.json!.agent_id as { pubkey: string }).pubkey) };
    };
    const authenticates = (token: string) => runCli(['ping'], { ...env, COVENANT_TOKEN: token }).code === 0;
    // Not found: stderr, exit 1, the code; nothing on stdout.
    const missing = runCli(['peers', 'revoke', 'zzzzzz'], env);
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '');
    assert.equal(missing.stderr, 'covenant: no token starts with zzzzzz; see `covenant peers list` (E_NOT_FOUND)\n');
    const missingJson = runCli(['peers', 'revoke', 'zzzzzz', '--json'], env);
    assert.equal(missingJson.code, 1);
    assert.equal(missingJson.stderr, '');
    const missingOutcome = missingJson.json!.outcome as Outcome;
    assert.equal(missingOutcome.type, 'not_found');
    assert.equal(missingOutcome.code, 'E_NOT_FOUND');

    // The first 8 characters of a token that exists: matched on the stored 6, and said so.
    const bob = add('bob');
    const byEight = runCli(['peers', 'revoke', bob.token.slice(0, 8), '--json'], env);
    assert.equal(byEight.code, 0, byEight.stdout + byEight.stderr);
    const eight = byEight.json!.outcome as Outcome;
    assert.equal(eight.type, 'revoked');
    assert.equal(eight.matched_on, 'stored_prefix');
    assert.match(eight.message, new RegExp(`^revoked bob@peer \\(token ${bob.token.slice(0, 6)}…\\) \\(matched on its first 6 characters, ${bob.token.slice(0, 6)}: only those are stored`));
    assert.equal(authenticates(bob.token), false);
    const again = runCli(['peers', 'revoke', bob.token], env);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /^bob@peer \(token \w{6}…\) was already revoked \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \((now|\d+\w+( \d+\w+)? ago)\)$/m);

    // The whole token: matched exactly by its hash.
    const carol = add('carol');
    const whole = runCli(['peers', 'revoke', carol.token, '--json'], env);
    assert.equal((whole.json!.outcome as Outcome).matched_on, 'whole_token');
    assert.equal(authenticates(carol.token), false);

    // --by-pubkey: the peer's identity.
    const dave = add('dave');
    const byKey = runCli(['peers', 'revoke', '--by-pubkey', dave.pubkey.slice(0, 10)], env);
    assert.equal(byKey.code, 0, byKey.stderr);
    assert.match(byKey.stdout, /^revoked dave@peer \(token \w{6}…\) \(by pubkey\); 0 open connection\(s\) closed$/m);
    assert.equal(authenticates(dave.token), false);
    const noKey = runCli(['peers', 'revoke', '--by-pubkey', 'zzzzzzzz'], env);
    assert.equal(noKey.code, 1);
    assert.equal(noKey.stderr, "covenant: no peer's pubkey starts with zzzzzzzz (by pubkey); see `covenant peers list` (E_NOT_FOUND)\n");

    // Ambiguous: add live peers until two tokens share a first character (at most 59 tokens).
    const live = [readFileSync(homePaths(home).operatorToken, 'utf8').trim()];
    let shared: string | undefined;
    for (let i = 0; shared === undefined; i += 1) {
      const next = add(`amb${i}`).token;
      // Revoked tokens are matched too: a collision with one of them counts.
      shared = [...live, bob.token, carol.token, dave.token].find((t) => t[0] === next[0])?.[0];
      live.push(next);
    }
    // Two of the first four tokens may already share a first character: then three match.
    const sharing = [...live, bob.token, carol.token, dave.token].filter((t) => t[0] === shared).length;
    const ambiguous = runCli(['peers', 'revoke', shared], env);
    assert.equal(ambiguous.code, 1);
    assert.equal(ambiguous.stdout, '');
    const [first, ...listed] = ambiguous.stderr.trimEnd().split('\n');
    assert.match(first!, new RegExp(`^covenant: ${shared} matches ${sharing} tokens; give the whole token, or revoke by identity with --by-pubkey <pubkey-prefix> \\(E_AMBIGUOUS\\)$`));
    assert.equal(listed.length, sharing);
    for (const line of listed) assert.match(line, new RegExp(`^ {2}${shared}\\w{5}…\\t\\S+@\\S+\\t\\w+\\t(live|revoked)$`));
    assert.ok(live.every(authenticates), 'an ambiguous prefix revokes nothing');

    // The operator's own token: refused with a code, the fix is `peers rotate`.
    const self = runCli(['peers', 'revoke', live[0]!.slice(0, 6), '--json'], env);
    assert.equal(self.code, 1);
    assert.equal((self.json!.outcome as Outcome).code, 'E_FORBIDDEN');
    const selfHuman = runCli(['peers', 'revoke', live[0]!.slice(0, 6)], env);
    assert.match(selfHuman.stderr, /^covenant: this is the token you are using; rotate it with `covenant peers rotate`.* \(E_FORBIDDEN\)$/m);
  });
});
