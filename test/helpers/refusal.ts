import assert from 'node:assert/strict';
import { CovenantError } from '../../src/core/index.js';

/** The CovenantError a promise rejects with; fails the test when it resolves or rejects otherwise. */
export async function refused(promise: Promise<unknown>): Promise<CovenantError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CovenantError, String(error));
    return error;
  }
  assert.fail('expected a refusal');
}
