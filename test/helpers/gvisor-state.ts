// What a gVisor state root (`$COVENANT_HOME/runtime/gvisor`) holds, read by the unit and live tests.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { GVISOR_STATE_DIRNAME } from '../../src/runtime/gvisor/index.js';

/** Bundle directories left under the state root: everything but runsc's own `state` directory. */
export function gvisorBundleDirs(stateRoot: string): string[] {
  if (!existsSync(stateRoot)) return [];
  return readdirSync(stateRoot).filter((name) => name !== GVISOR_STATE_DIRNAME);
}

/** Containers runsc knows about under the state root; none before its `state` exists. */
export function runscContainers(runscPath: string, stateRoot: string): string[] {
  const stateDir = join(stateRoot, GVISOR_STATE_DIRNAME);
  if (!existsSync(stateDir)) return [];
  const listed = spawnSync(runscPath, ['--root', stateDir, 'list', '-quiet'], { encoding: 'utf8' });
  assert.equal(listed.status, 0, `runsc list failed: ${listed.stderr}`);
  return listed.stdout.split('\n').filter((line) => line.trim() !== '');
}
