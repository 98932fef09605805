/**
 * Candidate paths in an intent's text (docs/ignore-policy.md).
 *
 * The text is split on whitespace and on characters that rarely appear in file names
 * (quotes, brackets, `=`, `,`, `;`, `|`, `<`, `>`, `:`), trailing sentence punctuation is
 * stripped, and every piece that looks like a path or a file name is normalised to a relative
 * path (`/`, `~/`, `./`, `../` and drive letters dropped; `\` read as `/`). Each candidate is
 * returned with all of its path suffixes, so rules anchored by an inner slash
 * (`.aws/credentials`) also match `/home/me/.aws/credentials`.
 */

/** Separators besides whitespace: characters that do not occur in the file names we care about. */
const SPLIT = /[\s"'`“”‘’«»()[\]{}<>=,;|:]+/u;
/** Punctuation stripped from the end of a piece (a sentence ending right after a file name). */
const TRAILING = /[.!?…]+$/u;
const MAX_CANDIDATES = 4096;
const MAX_PIECE_LENGTH = 4096;

/**
 * Does a piece look like a path or file name? It does when it contains a slash, starts with
 * `.` or `~`, has a `name.ext` shape, contains `_` (snake-case names such as `id_rsa`), or is a
 * glob with a dot (`*.pem`).
 * Plain words ("notes", "secrets") are prose, not candidates.
 */
export function looksLikePath(piece: string): boolean {
  if (piece.length === 0) return false;
  if (piece.includes('/')) return true;
  if (piece.startsWith('.') || piece.startsWith('~')) return true;
  if (/[\p{L}\p{N}_-]\.[\p{L}\p{N}_-]/u.test(piece)) return true;
  if (piece.includes('_')) return true;
  if (/[*?]/.test(piece) && piece.includes('.')) return true; // a glob such as *.pem names files too
  return false;
}

/** Normalises one path-looking piece to a relative path; null when nothing is left. */
export function normalisePath(piece: string): { path: string; dir: boolean } | null {
  let p = piece.replace(/\\/g, '/');
  const dir = p.endsWith('/');
  const segments = p
    .split('/')
    .filter((s) => s !== '' && s !== '.' && s !== '..' && !/^~[\p{L}\p{N}_.-]*$/u.test(s));
  p = segments.join('/');
  if (p.length === 0) return null;
  return { path: p, dir };
}

/** Every suffix of a relative path: `a/b/c` → `a/b/c`, `b/c`, `c`. */
export function pathSuffixes(path: string): string[] {
  const segments = path.split('/');
  const out: string[] = [];
  for (let i = 0; i < segments.length; i++) out.push(segments.slice(i).join('/'));
  return out;
}

export interface Candidate {
  /** The normalised relative path tested against the rules. */
  path: string;
  /** The piece of the intent text it came from (for messages and tests). */
  from: string;
}

/**
 * The candidate paths of a text, each suffix once, in order of appearance. A piece is tested
 * both as a file and as a directory (`name/`), so naming `.ssh` matches the rule `.ssh/`.
 */
export function extractCandidates(text: string): Candidate[] {
  const out: Candidate[] = [];
  const seen = new Set<string>();
  const push = (path: string, from: string) => {
    if (seen.has(path) || out.length >= MAX_CANDIDATES) return;
    seen.add(path);
    out.push({ path, from });
  };
  for (const raw of text.split(SPLIT)) {
    if (out.length >= MAX_CANDIDATES) break;
    const piece = raw
      .slice(0, MAX_PIECE_LENGTH)
      .replace(/\\/g, '/')
      .replace(TRAILING, (m) => (m === raw ? m : ''));
    if (!looksLikePath(piece)) continue;
    const normalised = normalisePath(piece);
    if (!normalised) continue;
    for (const suffix of pathSuffixes(normalised.path)) {
      push(suffix, raw);
      push(`${suffix}/`, raw);
    }
  }
  return out;
}
