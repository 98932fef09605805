// Types for the exports of import-layers.mjs, for the TypeScript test that imports them.
import type { ESLint, Rule } from 'eslint';

export declare const LAYERS: ReadonlyArray<{ name: string; modules: string[]; isolated?: boolean }>;
export declare const ALLOWED_PACKAGES: Readonly<Record<string, string[]>>;
export declare const LIGHT_ENTRIES: Readonly<Record<string, string>>;
export declare function checkImport(srcDir: string, filename: string, specifier: string, typeOnly?: boolean): string | undefined;
export declare const importLayers: Rule.RuleModule;
export declare const covenantPlugin: ESLint.Plugin;
