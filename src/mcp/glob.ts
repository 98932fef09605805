/**
 * Tool-name globs for `include` / `exclude` (SPEC 11): `*` matches any run of characters, `?` one
 * character; everything else is literal. Only the characters a tool name may hold are allowed, so
 * a pattern like `[a-z]*` or `foo/**` is refused at config load instead of silently matching nothing.
 */
const GLOB_PATTERN = /^[A-Za-z0-9_.*?-]{1,128}$/;

export const GLOB_RULE = 'a glob uses * and ? over letters, digits, _ - and . (at most 128 characters)';

export function isValidGlob(pattern: string): boolean {
  return GLOB_PATTERN.test(pattern);
}

export function globToRegExp(pattern: string): RegExp {
  if (!isValidGlob(pattern)) throw new Error(`invalid glob ${JSON.stringify(pattern)}: ${GLOB_RULE}`);
  const body = pattern.replace(/[.-]/g, (c) => `\\${c}`).replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** Whether a tool name passes `include` (empty: everything) and no `exclude`. */
export function toolFilter(include: readonly string[], exclude: readonly string[]): (name: string) => boolean {
  const inc = include.map(globToRegExp);
  const exc = exclude.map(globToRegExp);
  return (name) => (inc.length === 0 || inc.some((r) => r.test(name))) && !exc.some((r) => r.test(name));
}
