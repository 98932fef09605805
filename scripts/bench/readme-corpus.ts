/**
 * The labelled set of the memory retrieval bench (docs/performance.md "memory search"): known-item
 * search over the README files of the packages in node_modules — text this project did not write.
 * Each selected package gives one document (its README, with the package's name removed, cut to
 * the record size limit) and one query (its package.json `description`); the right answer to the
 * query is its own document. The selection is fixed and deterministic: every package with a
 * description of at least 4 words and a README of at least 400 characters, ordered by the SHA-256
 * of its name, the first `size`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface KnownItem {
  name: string;
  query: string;
  document: string;
}

/** 60 KiB of UTF-8 at most: under the 64 KiB record limit whatever the characters. */
const MAX_DOCUMENT_CHARS = 15_000;

function packageDirs(root: string): string[] {
  const dirs: string[] = [];
  for (const name of readdirSync(root)) {
    if (name.startsWith('.')) continue;
    if (name.startsWith('@')) for (const inner of readdirSync(join(root, name))) dirs.push(join(root, name, inner));
    else dirs.push(join(root, name));
  }
  return dirs;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The name in every spelling a README uses: `@scope/pkg`, `pkg`, `pkg` with spaces for dashes. */
function withoutName(text: string, name: string): string {
  const bare = name.replace(/^@[^/]+\//, '');
  const spellings = [...new Set([name, bare, bare.replace(/[-_.]/g, ' ')])].filter((s) => s.length > 1).sort((a, b) => b.length - a.length);
  let out = text;
  for (const spelling of spellings) out = out.replace(new RegExp(escapeRegExp(spelling), 'gi'), ' ');
  return out;
}

export function readmeCorpus(nodeModules: string, size: number): KnownItem[] {
  const items: KnownItem[] = [];
  const seen = new Set<string>();
  for (const dir of packageDirs(nodeModules)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    let pkg: { name?: unknown; description?: unknown };
    try {
      pkg = JSON.parse(readFileSync(manifest, 'utf8')) as typeof pkg;
    } catch {
      continue;
    }
    if (typeof pkg.name !== 'string' || typeof pkg.description !== 'string' || seen.has(pkg.name)) continue;
    const readme = readdirSync(dir).find((f) => /^readme(\.md|\.markdown|\.txt)?$/i.test(f));
    if (!readme) continue;
    const description = pkg.description.trim();
    if (description.split(/\s+/).length < 4) continue;
    const document = withoutName(readFileSync(join(dir, readme), 'utf8'), pkg.name).slice(0, MAX_DOCUMENT_CHARS).trim();
    if (document.length < 400) continue;
    seen.add(pkg.name);
    items.push({ name: pkg.name, query: description, document });
  }
  const key = (name: string) => createHash('sha256').update(name).digest('hex');
  return items.sort((a, b) => (key(a.name) < key(b.name) ? -1 : 1)).slice(0, size);
}
