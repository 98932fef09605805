/**
 * Where a key path is written in TOML source. smol-toml gives positions for syntax errors only,
 * so the source is scanned line by line: table headers (`[a.b]`, `[[a.b]]`, counting the
 * entries of each array of tables) and `key = ...` lines (dotted keys too) give each line the
 * full key path it defines. Lines inside multi-line strings are skipped. Inline tables and
 * multi-line arrays are not looked into: a key inside one is reported at the line of the key
 * that holds it.
 */
export type KeyPath = ReadonlyArray<string | number>;

const HEADER = /^\[(\[)?\s*(.+?)\s*\]\]?\s*(#.*)?$/;
const KEY = /^((?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*'))*)\s*=/;
const PART = /[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*'/g;

function keyParts(dotted: string): string[] {
  return (dotted.match(PART) ?? []).map((part) => (part.startsWith('"') ? (JSON.parse(part) as string) : part.startsWith("'") ? part.slice(1, -1) : part));
}

/** Each line that defines a table or a key, with the full key path it defines (1-based line numbers). */
export function definedPaths(source: string): Array<{ line: number; path: KeyPath }> {
  const found: Array<{ line: number; path: KeyPath }> = [];
  const arrayCounts = new Map<string, number>();
  let table: KeyPath = [];
  let multiline: '"""' | "'''" | null = null;
  source.split(/\r?\n/).forEach((raw, index) => {
    const text = raw.trim();
    if (multiline !== null) {
      if (text.split(multiline).length % 2 === 0) multiline = null; // the closing delimiter
      return;
    }
    const header = HEADER.exec(text);
    if (header) {
      const parts = keyParts(header[2]!);
      // A header below an array of tables (`[mcp.server.env]`) belongs to its latest entry.
      const resolved: Array<string | number> = [];
      parts.forEach((part, at) => {
        resolved.push(part);
        const entries = arrayCounts.get(JSON.stringify(parts.slice(0, at + 1)));
        if (entries !== undefined && at < parts.length - 1) resolved.push(entries - 1);
      });
      if (header[1] === '[') {
        const name = JSON.stringify(parts);
        const position = arrayCounts.get(name) ?? 0;
        arrayCounts.set(name, position + 1);
        table = [...resolved, position];
      } else {
        table = resolved;
      }
      found.push({ line: index + 1, path: table });
      return;
    }
    const key = KEY.exec(text);
    if (!key) return;
    found.push({ line: index + 1, path: [...table, ...keyParts(key[1]!)] });
    const value = text.slice(key[0].length);
    for (const quote of ['"""', "'''"] as const) {
      if (value.split(quote).length === 2) multiline = quote; // opened and not closed on this line
    }
  });
  return found;
}

function startsWith(path: KeyPath, prefix: KeyPath): boolean {
  return prefix.length <= path.length && prefix.every((part, index) => part === path[index]);
}

/**
 * The line of `wanted`: where it is defined; else the first line defining something inside it
 * (a table known only through its sub-tables); else the nearest enclosing key or table. Null
 * when nothing of it is written (a required key left out of the file's top level).
 */
export function lineOfKey(source: string, wanted: KeyPath): number | null {
  const lines = definedPaths(source);
  const exact = lines.find((entry) => entry.path.length === wanted.length && startsWith(entry.path, wanted));
  if (exact) return exact.line;
  const inside = lines.find((entry) => startsWith(entry.path, wanted));
  if (inside) return inside.line;
  let best: { line: number; depth: number } | null = null;
  for (const entry of lines) {
    if (entry.path.length > 0 && startsWith(wanted, entry.path) && (best === null || entry.path.length > best.depth)) best = { line: entry.line, depth: entry.path.length };
  }
  return best?.line ?? null;
}
