// `npm run lint`. typescript-eslint rather than Biome: its type-aware rules (floating and
// misused promises, awaiting non-promises, unsafe `any`) catch the bugs that hurt a long-running
// daemon, and the layer check is a small local rule over the same parse
// (scripts/lint/import-layers.mjs; docs/architecture.md explains the layers).
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { covenantPlugin } from './scripts/lint/import-layers.mjs';

const root = fileURLToPath(new URL('.', import.meta.url));

export default tseslint.config(
  // Fixtures are agent programs and data the tests run, not project code.
  { ignores: ['dist/**', 'node_modules/**', '.test-results/**', '**/fixtures/**', 'agents/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: root } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // node:test runs test() and describe() itself; their promises are not ours to await.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] },
      ],
      // `_`-prefixed names and rest siblings are how a field is dropped from a copy.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // `let [a, b] = ...` where only b changes later stays one statement.
      'prefer-const': ['error', { destructuring: 'all' }],
      // An async method that implements a Promise-returning interface need not await anything.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { covenant: covenantPlugin },
    rules: { 'covenant/import-layers': ['error', { srcDir: `${root}src` }] },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    // tsc checks the names in these files (tsconfig.scripts-js.json), with Node's globals.
    rules: { 'no-undef': 'off' },
  },
  {
    // A CommonJS script is CommonJS on purpose (the bench's raw client: no ES module loader).
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
