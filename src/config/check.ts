/**
 * Validates config.toml against the one schema. Every problem names its key path and the line
 * it is on (docs/configuration.md), e.g. `config.toml:7: mcp.server[1].comand: unknown key; ...`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseToml, TomlError } from 'smol-toml';
import type { z } from 'zod';
import { ConfigSchema, type Config } from './schema.js';
import { lineOfKey, type KeyPath } from './toml-lines.js';

export interface ConfigProblem {
  /** The key path (`mcp.server[1].command`); null for a TOML syntax error. */
  key: string | null;
  /** 1-based; null when the key is not written in the file (a required key left out). */
  line: number | null;
  message: string;
}

export type ConfigCheck = { ok: true; config: Config; exists: boolean } | { ok: false; problems: ConfigProblem[] };

/** `mcp.server[1].command`: array positions in brackets, as in the file's own `[[mcp.server]]` order. */
export function keyName(path: KeyPath): string {
  return path.reduce<string>((name, part) => (typeof part === 'number' ? `${name}[${part}]` : name === '' ? part : `${name}.${part}`), '');
}

function allowedKeys(schema: z.ZodType, path: KeyPath): string[] {
  let node: unknown = schema;
  for (const part of path) {
    node = unwrap(node);
    if (typeof part === 'number') node = (node as { element?: unknown }).element;
    else node = (node as { shape?: Record<string, unknown> }).shape?.[part];
  }
  const shape = (unwrap(node) as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

/** Through defaults, optionals and refinements to the object or array schema beneath. */
function unwrap(node: unknown): unknown {
  let current = node as { def?: { type?: string; innerType?: unknown; in?: unknown } } | undefined;
  while (current?.def && ['default', 'optional', 'prefault', 'pipe', 'nullable'].includes(current.def.type ?? '')) {
    current = (current.def.innerType ?? current.def.in) as typeof current;
  }
  return current;
}

function problemsOf(error: z.ZodError, text: string): ConfigProblem[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeys(ConfigSchema, issue.path as KeyPath);
      const what = issue.path.length === 0 ? 'unknown section' : 'unknown key';
      return issue.keys.map((key) => {
        const path = [...(issue.path as KeyPath), key];
        return { key: keyName(path), line: lineOfKey(text, path), message: `${what}; allowed ${issue.path.length === 0 ? 'sections' : 'keys'}: ${allowed.join(', ')}` };
      });
    }
    const path = issue.path as KeyPath;
    return [{ key: keyName(path), line: lineOfKey(text, path), message: issue.message }];
  });
}

/** Validates config.toml text; problems come in file order. */
export function checkConfigText(text: string): ConfigCheck {
  let document: unknown;
  try {
    document = parseToml(text);
  } catch (error) {
    const line = error instanceof TomlError ? error.line : null;
    const reason = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    return { ok: false, problems: [{ key: null, line, message: `not valid TOML: ${reason}` }] };
  }
  const parsed = ConfigSchema.safeParse(document);
  if (parsed.success) return { ok: true, config: parsed.data, exists: true };
  const problems = problemsOf(parsed.error, text).sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { ok: false, problems };
}

/** Validates the file at `path`; a missing file is the defaults. */
export function checkConfigFile(path: string): ConfigCheck {
  if (!existsSync(path)) return { ok: true, config: ConfigSchema.parse({}), exists: false };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { ok: false, problems: [{ key: null, line: null, message: `cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})` }] };
  }
  return checkConfigText(text);
}

/** One problem as a line: `<file>:<line>: <key>: <message>`. */
export function formatProblem(path: string, problem: ConfigProblem): string {
  return `${path}${problem.line === null ? '' : `:${problem.line}`}: ${problem.key === null ? '' : `${problem.key}: `}${problem.message}`;
}
