import assert from 'node:assert/strict';
import { test } from 'node:test';
import { auditTokenPrefix } from '../../src/peers/index.js';

test('a refused token is audited by six characters only when that is at most half of it', () => {
  assert.equal(auditTokenPrefix('Gd2xfxwvBvMqV15HiMLFqoazzyoediv54DPDBvBUPLbM'), 'Gd2xfx');
  assert.equal(auditTokenPrefix('0OIl'), null, 'a short string would be shown whole');
  assert.equal(auditTokenPrefix('12345678901'), null);
  assert.equal(auditTokenPrefix('123456789012'), '123456');
  assert.equal(auditTokenPrefix('9'.repeat(257)), null, 'oversized tokens are never resolved or shown');
  assert.equal(auditTokenPrefix(undefined), null);
  assert.equal(auditTokenPrefix(42), null);
});
