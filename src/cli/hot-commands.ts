import { isBlankIntent } from '../core/intent-text.js';
import type { CommandOutcome, GlobalFlags } from './output.js';

/**
 * `version`, `ping` and `intent` are what scripts and health checks run most and must start
 * about as fast as node itself, so they bypass commander (and never load zod). This parser
 * accepts exactly their plain shapes — the command, its words, `--json`, `--agent ID` (intent),
 * `--home DIR`, `--token-file F` — and returns null for anything else (help, an unknown or
 * repeated flag, `--flag=value`, `--`), which then goes to the full parser and its usual
 * usage errors.
 */
export type HotCommand =
  | { name: 'version' | 'ping'; json: boolean; flags: GlobalFlags }
  | { name: 'intent'; json: boolean; flags: GlobalFlags; words: string[]; agent?: string };

const HOT_NAMES = new Set(['version', 'ping', 'intent']);
const VALUE_FLAGS: Record<string, 'home' | 'tokenFile' | 'agent'> = { '--home': 'home', '--token-file': 'tokenFile', '--agent': 'agent' };

export function hotCommand(argv: string[]): HotCommand | null {
  const args = argv.slice(2);
  let name: string | undefined;
  let json = false;
  const values: { home?: string; tokenFile?: string; agent?: string } = {};
  const words: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg.startsWith('-')) {
      // Like commander: --json and --agent belong to the sub-command, so only after its name.
      if (arg === '--json' && name !== undefined && !json) {
        json = true;
        continue;
      }
      const key = VALUE_FLAGS[arg];
      const value = args[i + 1];
      if (!key || value === undefined || value.startsWith('-') || values[key] !== undefined) return null;
      if (key === 'agent' && name !== 'intent') return null;
      values[key] = value;
      i += 1;
    } else if (name === undefined) {
      if (!HOT_NAMES.has(arg)) return null;
      name = arg;
    } else if (name === 'intent') {
      words.push(arg);
    } else {
      return null;
    }
  }
  const flags: GlobalFlags = { ...(values.home !== undefined ? { home: values.home } : {}), ...(values.tokenFile !== undefined ? { tokenFile: values.tokenFile } : {}) };
  if (name === 'version' || name === 'ping') return { name, json, flags };
  // A blank intent goes to the full parser, whose usage error (exit 2) it is.
  if (name === 'intent' && !isBlankIntent(words.join(' '))) return { name, json, flags, words, ...(values.agent !== undefined ? { agent: values.agent } : {}) };
  return null;
}

/** Runs a hot command through the same implementation its commander registration calls. */
export async function runHotCommand(hot: HotCommand): Promise<CommandOutcome> {
  switch (hot.name) {
    case 'version':
      return (await import('./commands/version.js')).versionCommand(hot.flags);
    case 'ping':
      return (await import('./commands/ping.js')).pingCommand(hot.flags);
    case 'intent':
      return (await import('./commands/intent.js')).intentCommand({ ...hot.flags, json: hot.json }, hot.words, hot.agent !== undefined ? { agent: hot.agent } : {});
  }
}
