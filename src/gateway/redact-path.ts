/** Longest path kept in audit rows, logs and messages (after redaction). */
export const MAX_RECORDED_PATH_CHARS = 128;
/** What remains of a secret-looking value: its first characters, as with token prefixes. */
export const KEPT_PREFIX_CHARS = 6;
const ELLIPSIS = '…';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD');
}

/** A base58 run long enough to be a token or a key (tokens are 44 characters). */
const BASE58_RUN = /[1-9A-HJ-NP-Za-km-z]{20,}/g;
/**
 * A credential-ish name followed by a separator (`token=`, `/bearer/`, `api_key:`,
 * `Authorization%20`): whatever follows is treated as a secret.
 */
const SECRET_KEY =
  /(?:^|[/?&;.,_-])(?:bearer|token|access[_-]?token|api[_-]?key|apikey|key|secret|password|passwd|pwd|authorization|auth|credentials?|session|signature|sig)(?:[=:/ ]|%20|%3[aAdD])+/i;

/**
 * A request path (and query, if given) as it may be recorded: anything after a credential-ish
 * name is cut to a 6-character prefix and the rest dropped, every base58 run of 20 or more
 * characters is cut to its 6-character prefix, lone surrogates become U+FFFD (canonical JSON
 * refuses them), and the result is at most 128 characters. Cut places end with "…".
 */
export function redactPath(raw: string): string {
  let text = wellFormed(raw);
  const key = SECRET_KEY.exec(text);
  if (key) {
    const valueStart = key.index + key[0].length;
    const value = text.slice(valueStart);
    if (value.length > KEPT_PREFIX_CHARS) text = text.slice(0, valueStart) + value.slice(0, KEPT_PREFIX_CHARS) + ELLIPSIS;
  }
  text = text.replace(BASE58_RUN, (run) => run.slice(0, KEPT_PREFIX_CHARS) + ELLIPSIS);
  if (text.length > MAX_RECORDED_PATH_CHARS) text = wellFormed(text.slice(0, MAX_RECORDED_PATH_CHARS - 1)) + ELLIPSIS;
  return text;
}
