import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redact } from '../../src/core/index.js';
import { mintToken } from '../../src/peers/index.js';

test('redact cuts every token-shaped run to 6 characters and leaves ordinary text alone', () => {
  for (let i = 0; i < 200; i += 1) {
    const token = mintToken();
    assert.equal(redact(token), `${token.slice(0, 6)}…`);
    assert.equal(redact(`token file /tmp/x/${token}.txt does not exist`), `token file /tmp/x/${token.slice(0, 6)}….txt does not exist`);
    assert.equal(redact(`tool.call.${token}`), `tool.call.${token.slice(0, 6)}…`);
  }
  assert.equal(redact('2j4yqaPPq1GWt6Z5fRnk'), '2j4yqa…', 'a 20-character piece of a token');
  const kept = [
    'no capability with id or signature 03c0618a-2a68-4cc4-990f-6d46467ac08e; list yours',
    'expiry 1733412345678912345 is already in the past',
    'tool.call.mcp_github_getRepositoryContents',
    'characterizations and acknowledgements',
    'memory.repair.apply a2a.send.bob@laptop',
    'E_CAPABILITY_MISSING',
  ];
  for (const text of kept) assert.equal(redact(text), text);
});
