// ESLint rule `covenant/import-layers`: the layer and index-only rules of DESIGN.md, checked on
// every import, export-from and import() in src/ (docs/architecture.md explains both).
import { dirname, relative, resolve, sep } from 'node:path';

/** Bottom to top. A module may import its own layer and those below, never one above. */
export const LAYERS = [
  { name: 'core', modules: ['core'] },
  { name: 'protocol', modules: ['protocol'] },
  { name: 'home', modules: ['home'] },
  { name: 'store', modules: ['store', 'identity', 'audit'] },
  {
    name: 'services',
    modules: [
      'capabilities', 'peers', 'policy', 'budget', 'memory', 'settlement', 'intent', 'runtime',
      'mcp', 'model', 'a2a', 'verifier', 'console', 'config',
    ],
  },
  { name: 'requests', modules: ['requests'] },
  { name: 'wire', modules: ['ipc'] },
  // Transports do not know each other.
  { name: 'transports', modules: ['gateway', 'cli'], isolated: true },
  { name: 'daemon wiring', modules: ['daemon'] },
];

/** npm packages a module may import, where it is restricted (protocol is the zod-only leaf); Node's built-ins are always allowed. */
export const ALLOWED_PACKAGES = { core: ['canonicalize', 'bs58'], protocol: ['zod'] };

/**
 * Light entries: the only files besides index.ts that other folders may import, each because
 * the CLI loads it at start-up (or offline) and its module's index would load far more
 * (node:crypto, zod, the database layer). A type-only import always takes the index: it costs
 * nothing at run time. docs/architecture.md, "The import rule", has the measurements.
 */
export const LIGHT_ENTRIES = {
  'core/errors.ts': 'CovenantError for the CLI without node:crypto',
  'core/redact.ts': 'the CLI redacts what it prints',
  'core/version.ts': 'covenant version',
  'core/base58-pattern.ts': 'CLI argument parsers and protocol patterns',
  'core/intent-text.ts': 'the CLI refuses a blank intent before it connects',
  'core/human-time.ts': 'the CLI prints times and durations',
  'core/id-prefix.ts': 'the CLI shows short ids',
  'core/log-format.ts': '`covenant logs` prints human lines',
  'home/layout.ts': 'the CLI finds the socket and token',
  'protocol/constants.ts': 'frame limits for the socket client without zod',
  'identity/keys.ts': 'ed25519 for the offline proof check (covenant receipts verify-proof)',
};

const layerOf = new Map(LAYERS.flatMap((layer, rank) => layer.modules.map((m) => [m, { ...layer, rank }])));

function describe(module) {
  const layer = layerOf.get(module);
  return layer ? `${module} (${layer.name})` : module;
}

/** `src/<module>/<rest>` of an absolute path, or undefined outside src/. */
function place(srcDir, absolute) {
  const rel = relative(srcDir, absolute);
  if (rel.startsWith('..') || rel === '') return undefined;
  const [module = '', ...rest] = rel.split(sep);
  return { module, rest: rest.join('/') };
}

function packageName(specifier) {
  return specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
}

/** The problem with `specifier` imported from `filename` (a src/ file), or undefined. */
export function checkImport(srcDir, filename, specifier, typeOnly = false) {
  const from = place(srcDir, filename);
  if (!from) return undefined;
  if (specifier.startsWith('node:')) return undefined;
  if (!specifier.startsWith('.')) {
    const allowed = ALLOWED_PACKAGES[from.module];
    if (allowed && !allowed.includes(packageName(specifier))) {
      return `${from.module} may import only the packages ${allowed.join(', ')} (and Node built-ins), not '${specifier}'`;
    }
    return undefined;
  }
  const to = place(srcDir, resolve(dirname(filename), specifier));
  if (!to || to.module === from.module) return undefined;
  const source = layerOf.get(from.module);
  const target = layerOf.get(to.module);
  if (!source) return `src/${from.module} is in no layer: add it to LAYERS in scripts/lint/import-layers.mjs and to docs/architecture.md`;
  if (!target) return `src/${to.module} is in no layer: add it to LAYERS in scripts/lint/import-layers.mjs and to docs/architecture.md`;
  if (target.rank > source.rank) {
    return `${describe(from.module)} must not import ${describe(to.module)}: a lower layer never imports a higher one`;
  }
  if (target.rank === source.rank && source.isolated) {
    return `${describe(from.module)} must not import ${describe(to.module)}: transports do not import each other`;
  }
  const file = to.rest.replace(/\.js$/, '.ts');
  if (file === 'index.ts') return undefined;
  if (!typeOnly && Object.hasOwn(LIGHT_ENTRIES, `${to.module}/${file}`)) return undefined;
  return `import src/${to.module} through its index ('${to.module}/index.js'), not '${to.module}/${to.rest}'`;
}

export const importLayers = {
  meta: {
    type: 'problem',
    docs: { description: 'DESIGN.md layers and the index-only import rule' },
    schema: [{ type: 'object', properties: { srcDir: { type: 'string' } }, required: ['srcDir'], additionalProperties: false }],
  },
  create(context) {
    const { srcDir } = context.options[0];
    const check = (node) => {
      const source = node.source;
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return;
      const typeOnly = node.importKind === 'type' || node.exportKind === 'type';
      const message = checkImport(srcDir, context.filename, source.value, typeOnly);
      if (message) context.report({ node: source, message });
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};

export const covenantPlugin = { meta: { name: 'covenant' }, rules: { 'import-layers': importLayers } };
