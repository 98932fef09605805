// The layer check of `npm run lint` (scripts/lint/import-layers.mjs, docs/architecture.md).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { checkImport, covenantPlugin, LAYERS } from '../../scripts/lint/import-layers.mjs';

const ROOT = '/repo';
const SRC = join(ROOT, 'src');
const check = (from: string, specifier: string, typeOnly = false) => checkImport(SRC, join(SRC, from), specifier, typeOnly);

test('a lower layer never imports a higher one; the same layer and lower ones are fine', () => {
  assert.match(String(check('core/ids.ts', '../protocol/index.js')), /core \(core\) must not import protocol \(protocol\)/);
  assert.match(String(check('store/database.ts', '../memory/index.js')), /a lower layer never imports a higher one/);
  assert.match(String(check('memory/service.ts', '../requests/index.js')), /memory \(services\) must not import requests/);
  assert.match(String(check('requests/execute-request.ts', '../daemon/index.js')), /requests \(requests\) must not import daemon \(daemon wiring\)/);
  assert.equal(check('memory/service.ts', '../settlement/index.js'), undefined);
  assert.equal(check('daemon/daemon.ts', '../gateway/index.js'), undefined);
  assert.equal(check('gateway/app.ts', '../requests/index.js'), undefined);
  assert.equal(check('runtime/gvisor/bundle.ts', '../local-runner.js'), undefined, 'inside one module anything goes');
});

test('transports do not import each other', () => {
  assert.match(String(check('gateway/app.ts', '../cli/output.js')), /transports do not import each other/);
  assert.match(String(check('cli/program.ts', '../gateway/index.js')), /transports do not import each other/);
  assert.match(String(check('gateway/routes/public.ts', '../../daemon/index.js')), /gateway \(transports\) must not import daemon/);
});

test('other folders import a module through its index, or one of its listed light entries', () => {
  assert.match(String(check('daemon/doctor.ts', '../runtime/bwrap/index.js')), /import src\/runtime through its index \('runtime\/index\.js'\), not 'runtime\/bwrap\/index\.js'/);
  assert.match(String(check('settlement/proof.ts', '../core/canonical.js')), /through its index/);
  assert.equal(check('cli/output.ts', '../core/errors.js'), undefined, 'core/errors.ts is a light entry');
  assert.equal(check('ipc/framing.ts', '../protocol/constants.js'), undefined, 'protocol/constants.ts is a light entry');
  assert.match(String(check('cli/commands/version.ts', '../../protocol/constants.js', true)), /through its index/, 'a type-only import takes the index');
});

test('protocol imports only zod among packages; a folder in no layer is named', () => {
  assert.match(String(check('protocol/requests/agents.ts', 'better-sqlite3')), /protocol may import only the packages zod/);
  assert.equal(check('protocol/requests/agents.ts', 'zod'), undefined);
  assert.equal(check('protocol/requests/agents.ts', 'node:path'), undefined);
  assert.equal(check('store/database.ts', 'better-sqlite3'), undefined);
  assert.match(String(check('newthing/x.ts', '../core/index.js')), /src\/newthing is in no layer/);
  assert.ok(LAYERS.some((layer) => layer.modules.includes('home')), 'home has a layer');
});

test('the rule reports through ESLint on import, export-from, import() and import type', () => {
  const linter = new Linter({ configType: 'flat', cwd: ROOT });
  const source = [
    "import { a } from '../daemon/index.js';",
    "export { b } from '../gateway/index.js';",
    "import type { C } from '../protocol/constants.js';",
    "const d = await import('../requests/index.js');",
    "import { e } from '../core/index.js';",
    'export { a, d, e };',
    'export type { C };',
  ].join('\n');
  const messages = linter.verify(
    source,
    [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser },
        plugins: { covenant: covenantPlugin },
        rules: { 'covenant/import-layers': ['error', { srcDir: SRC }] },
      },
    ],
    join(SRC, 'memory', 'service.ts'),
  );
  assert.deepEqual(
    messages.map((m) => [m.line, m.ruleId]),
    [
      [1, 'covenant/import-layers'],
      [2, 'covenant/import-layers'],
      [3, 'covenant/import-layers'],
      [4, 'covenant/import-layers'],
    ],
    JSON.stringify(messages),
  );
});
