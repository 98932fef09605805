/** Issue 10 item 6: an empty or whitespace-only intent is one usage error (exit 2), the same from the CLI and the daemon. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EMPTY_INTENT_MESSAGE } from '../../src/core/intent-text.js';
import { operatorClient, runCli, withDaemonHome } from '../helpers/binaries.js';

test('covenant intent "" and "   " are the same usage error, exit 2; the daemon refuses blank text with the same message', async () => {
  await withDaemonHome(async (home, env) => {
    const answers = [[''], ['   '], [' ', '\t'], ['', '--json']].map((args) => runCli(['intent', ...args], env));
    for (const answer of answers) {
      assert.equal(answer.code, 2, answer.stdout + answer.stderr);
      assert.equal(answer.stdout, '');
      assert.equal(answer.stderr.split('\n')[0], `error: ${EMPTY_INTENT_MESSAGE}`);
    }

    // HTTP and other clients send the request directly: the daemon gives the same answer.
    const client = await operatorClient(home);
    try {
      for (const text of ['', '  \n ']) {
        const reply = await client.request({ kind: 'submit_intent', text });
        assert.equal(reply.kind, 'error');
        assert.equal(reply.code, 'E_BAD_REQUEST');
        assert.match(String(reply.message), new RegExp(EMPTY_INTENT_MESSAGE.replace(/[.*+?^${}()|[\]\\`]/g, '\\$&')));
      }
    } finally {
      client.close();
    }
  });
});
