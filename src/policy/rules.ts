import ignore, { type Ignore } from 'ignore';

/**
 * The rules of one ignore file: every line that is not blank and not a `#` comment, with
 * trailing unescaped spaces removed (gitignore semantics; `ignore` does the matching).
 */
export function parseRules(content: string): string[] {
  const rules: string[] = [];
  for (const line of content.split(/\r?\n/)) {
    const rule = line.replace(/(?<!\\)\s+$/, '');
    if (rule === '' || rule.startsWith('#')) continue;
    rules.push(rule);
  }
  return rules;
}

/** `!pattern` is a negation; `\!pattern` is a literal `!`. */
export function isNegation(rule: string): boolean {
  return rule.startsWith('!');
}

/** The pattern a negation un-ignores: `!foo` → `foo`. */
export function positiveForm(rule: string): string {
  return isNegation(rule) ? rule.slice(1) : rule;
}

/** Case-insensitive on every platform: for a secrets gate `.ENV` is `.env`. */
export function matcher(rules: readonly string[]): Ignore {
  return ignore({ ignorecase: true }).add(rules);
}

/**
 * Concrete paths a pattern matches, for overlap checks between two rule sets: globs are
 * replaced by a plain character, `**` segments collapse, and a directory pattern yields the
 * directory and a file inside it.
 */
export function samplePaths(pattern: string): string[] {
  let p = positiveForm(pattern).replace(/^\\(?=[!#])/, '');
  p = p.replace(/\[[^\]]*\]/g, (cls) => {
    const inner = cls.slice(1, -1).replace(/^[!^]/, '');
    const first = inner.replace(/\\/g, '').charAt(0);
    return first && first !== '-' ? first : 'a';
  });
  p = p
    .replace(/(^|\/)\*\*\//g, '$1')
    .replace(/\/\*\*$/, '/a')
    .replace(/\*\*/g, 'a')
    .replace(/\*/g, 'a')
    .replace(/\?/g, 'a')
    .replace(/\\(.)/g, '$1')
    .replace(/^\/+/, '');
  const dir = p.endsWith('/');
  p = p.replace(/\/+$/, '');
  if (p === '' || p.split('/').some((s) => s === '..' || s === '.')) return [];
  return dir ? [`${p}/`, `${p}/a`] : [p, `${p}/`, `${p}/a`];
}

/** True when the matcher ignores the path; never throws on a path `ignore` considers invalid. */
export function safeIgnores(m: Ignore, path: string): boolean {
  try {
    return m.ignores(path);
  } catch {
    return false;
  }
}
