/**
 * The environment an agent process gets (SPEC 12, 13): an allowlist, not a denylist. Nothing
 * of the daemon's environment reaches an agent unless it is named here or declared by the
 * agent's manifest (`[agent] env`), and a declared name can never be a `COVENANT_*` variable,
 * a secret-shaped name or one that changes how the interpreter or the loader behaves.
 */

/** Passed from the daemon's environment to every agent. */
const BASE_NAMES = ['PATH', 'HOME', 'LANG', 'TZ', 'NODE_ENV'] as const;
/** Locale categories (`LC_ALL`, `LC_CTYPE`, ...). */
const LOCALE_NAME = /^LC_[A-Z]+$/;
/**
 * The only `COVENANT_*` variables an agent receives: the local model settings the reference
 * `research` agent reads (endpoint and model name; neither is a secret).
 */
export const AGENT_PROTOCOL_VARS = ['COVENANT_OLLAMA_ENDPOINT', 'COVENANT_MODEL_CHAT'] as const;

/** Shape of a name an agent may declare in `[agent] env`. */
export const DECLARED_ENV_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;
/** Never handed to an agent, whatever the manifest says. */
const SECRET_NAME = /TOKEN|SECRET|KEY|PASSWORD|PASSWD|CREDENTIAL|AUTH/i;
/** Names that load code or change the interpreter: an agent may not import them from the daemon. */
const LOADER_NAME = /^(LD_|DYLD_|NODE_|NPM_|PYTHON|PERL|RUBY|BASH_|GCONV_|MALLOC_|COVENANT_)|^(ENV|SHELLOPTS|PS4|IFS|CDPATH|GLOBIGNORE|HOSTALIASES|LOCALDOMAIN|RES_OPTIONS|TMPDIR|SSL_CERT_FILE|SSL_CERT_DIR)$/;

/** Why a declared name is refused, or null when it may be declared. */
export function declaredEnvProblem(name: string): string | null {
  if (!DECLARED_ENV_NAME.test(name)) return 'expected an upper-case variable name such as "MY_AGENT_MODE"';
  if (SECRET_NAME.test(name)) return 'secret-shaped names (TOKEN, SECRET, KEY, PASSWORD, CREDENTIAL, AUTH) are never passed to an agent';
  if (LOADER_NAME.test(name)) return 'COVENANT_*, loader and interpreter variables (LD_*, NODE_*, PYTHON*, ...) cannot be passed to an agent';
  return null;
}

export interface AgentEnvOptions {
  /** Names the manifest declares (`[agent] env`); names with a problem are ignored. */
  declared?: readonly string[];
  /** Values that replace the daemon's (e.g. `HOME` and `PATH` inside a sandbox). */
  fixed?: Record<string, string>;
}

/**
 * The agent's environment: `PATH`, `HOME`, `LANG`, `LC_*`, `TZ`, `NODE_ENV`, the model settings
 * in `AGENT_PROTOCOL_VARS` and the manifest's declared names, taken from `base`; then `fixed`;
 * then `extra` (the run request's own variables, chosen by the caller, not the daemon's
 * environment). Anything secret-shaped is dropped from `base` even when allowlisted.
 */
export function buildAgentEnv(
  base: NodeJS.ProcessEnv,
  extra?: Record<string, string>,
  options: AgentEnvOptions = {},
): Record<string, string> {
  const allowed = new Set<string>([...BASE_NAMES, ...AGENT_PROTOCOL_VARS]);
  for (const name of options.declared ?? []) if (declaredEnvProblem(name) === null) allowed.add(name);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (typeof value !== 'string') continue;
    if (!allowed.has(name) && !LOCALE_NAME.test(name)) continue;
    if (SECRET_NAME.test(name)) continue;
    env[name] = value;
  }
  Object.assign(env, options.fixed ?? {});
  for (const [name, value] of Object.entries(extra ?? {})) {
    if (typeof value === 'string') env[name] = value;
  }
  return env;
}
