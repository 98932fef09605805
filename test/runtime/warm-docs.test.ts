/**
 * Issue 10 item 15: the docs say what the runner pool does. Every backend — linux-gvisor
 * included (`RunnerPool` passes the same `warm` predicate to the GvisorRunner; the live tests
 * live_gvisor_warm_* prove it under runsc) — keeps a warm launch per agent with `warm = true`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/binaries.js';

const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');

function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `${heading} is a heading`);
  const rest = markdown.slice(start + heading.length + 2);
  const end = rest.search(/\n#{1,2} /);
  return end < 0 ? rest : rest.slice(0, end);
}

test('docs/runtime.md: the warm pool covers gVisor agents, in the warm section and in the backend list', () => {
  const runtime = read('docs/runtime.md');
  const warm = section(runtime, '## Warm processes');
  assert.match(warm, /whatever its backend \(trusted-local,\s+linux-bwrap or linux-gvisor\)/);
  assert.match(warm, /a started `runsc run` whose agent\s+waits on stdin/);
  assert.doesNotMatch(warm, /Each trusted-local or linux-bwrap agent/);
  const gvisorBullet = /- \*\*linux-gvisor\*\*[\s\S]*?(?=\n\n|\n- \*\*|\n#)/.exec(section(runtime, '## Backends'))?.[0] ?? '';
  assert.match(gvisorBullet, /warm pool/, 'the linux-gvisor backend lists the warm pool like the others');
});

test('no doc or coverage note says warm gVisor sandboxes do not exist', () => {
  const coverage = JSON.parse(read('live-coverage.json')) as { surfaces: Array<{ id: string; nextGap: string }> };
  const gvisor = coverage.surfaces.find((s) => s.id === 'runtime-linux-gvisor')!;
  for (const [path, text] of [
    ['live-coverage.json', gvisor.nextGap],
    ['docs/live-coverage.md', read('docs/live-coverage.md')],
    ['docs/runtime.md', read('docs/runtime.md')],
    ['docs/architecture.md', read('docs/architecture.md')],
  ] as const) {
    assert.doesNotMatch(text, /warm gVisor sandboxes[^.]*do not exist|gVisor agents (have|keep) no warm|no warm (sandbox|pool) for gVisor/i, path);
  }
});
