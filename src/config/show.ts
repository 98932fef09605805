/**
 * `covenant config show`: the effective configuration (the file with every default filled in)
 * in config.toml's own syntax, with secrets cut to a short prefix: `[[mcp.server]] env` values
 * always (they are where API keys go), token-shaped runs in commands and arguments, and the
 * password of a URL.
 */
import { stringify } from 'smol-toml';
import { redact } from '../core/index.js';
import type { RetentionPolicy } from '../memory/index.js';
import type { Config } from './schema.js';

/** At most 6 characters, and never more than half of the value. */
export function secretHint(value: string): string {
  return `${value.slice(0, Math.min(6, Math.floor(value.length / 2)))}…`;
}

/** `scheme://user:password@host`: the password cut to a hint. */
function redactUrl(url: string): string {
  return redact(url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)([^@/]*)@/i, (_, before: string, password: string) => `${before}${secretHint(password)}@`));
}

function retentionView(policy: RetentionPolicy) {
  const limit = (value: number | null) => value ?? 'unlimited';
  return Object.fromEntries(Object.entries(policy).map(([tier, t]) => [tier, { max_age_ms: limit(t.max_age_ms), max_count: limit(t.max_count) }]));
}

/** The effective configuration as config.toml would write it, secrets cut. */
export function effectiveView(config: Config) {
  return {
    model: { ...config.model, endpoint: redactUrl(config.model.endpoint) },
    memory: { retention: retentionView(config.memory.retention) },
    mcp: {
      server: config.mcp.server.map((server) => ({
        ...server,
        command: redact(server.command),
        args: server.args.map((arg) => redact(arg)),
        env: Object.fromEntries(Object.entries(server.env).map(([name, value]) => [name, secretHint(value)])),
      })),
    },
  };
}

/** The same view as TOML text. */
export function effectiveToml(config: Config): string {
  return stringify(effectiveView(config));
}
