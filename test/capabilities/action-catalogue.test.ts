/** The daemon's action catalogue (SPEC 5) covers every action the request table checks. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isKnownAction, nearestAction } from '../../src/capabilities/index.js';
import { EVENT_STREAMS } from '../../src/gateway/index.js';
import { REQUESTS, type Authorization } from '../../src/protocol/index.js';
import { goldenFiles, kindOfGoldenFile, loadGolden } from '../golden/golden-files.js';

function actionsOf(authorization: Authorization): string[] {
  return [authorization.action, ...(authorization.anyOf ?? []).map((option) => option.action)].filter((a): a is string => a !== null);
}

test('every action a golden request is authorized with is in the catalogue', () => {
  const checked = new Set<string>();
  for (const name of goldenFiles('requests')) {
    const kind = kindOfGoldenFile(name);
    if (!Object.hasOwn(REQUESTS, kind)) continue;
    const definition = REQUESTS[kind as keyof typeof REQUESTS];
    const { kind: _kind, id: _id, ...params } = loadGolden('requests', name);
    const parsed = (definition.params as { parse(value: unknown): unknown }).parse(params);
    for (const action of actionsOf((definition.authorize as (p: unknown) => Authorization)(parsed))) {
      assert.ok(isKnownAction(action), `${kind} needs ${action}, which the catalogue does not list`);
      checked.add(action);
    }
  }
  for (const stream of EVENT_STREAMS) for (const action of actionsOf(stream.authorize({}))) assert.ok(isKnownAction(action), action);
  assert.ok(checked.size >= 10, `only ${[...checked].join(', ')} were checked`);
});

test('catalogue matching: parameters, wildcards, manifest-declared actions', () => {
  for (const known of ['memory.read', 'memory.read.working', 'tool.call.echo', 'tool.call.*', 'memory.repair.*', 'memory.*', 'a2a.send.bob@laptop']) {
    assert.ok(isKnownAction(known), known);
  }
  for (const unknown of ['not.a.real.action', 'memory.raed', 'intent.submit.*', 'memory.read.attic', 'tool.call', 'research.*']) {
    assert.equal(isKnownAction(unknown), false, unknown);
  }
  assert.ok(isKnownAction('research.fetch', ['research.fetch']));
  assert.ok(isKnownAction('research.*', ['research.fetch']));
  assert.equal(nearestAction('memory.raed'), 'memory.read');
  assert.equal(nearestAction('tool.cal.echo'), 'tool.call.echo');
  assert.equal(nearestAction('research.fech', ['research.fetch']), 'research.fetch');
  assert.equal(nearestAction('not.a.real.action'), null);
});
