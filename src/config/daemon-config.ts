/**
 * The configuration covenantd runs with. Loaded once at start (an invalid file refuses the
 * start) and again on SIGHUP, where an invalid file is refused and the config in use is kept.
 */
import { CovenantError } from '../core/index.js';
import { checkConfigFile, formatProblem, type ConfigProblem } from './check.js';
import type { Config } from './schema.js';

export interface ConfigRefusal {
  at_ms: number;
  problems: ConfigProblem[];
}

/** The problems of a refused config.toml as one message: every problem, then what to do. */
export function configInvalidMessage(path: string, problems: ConfigProblem[], consequence: string): string {
  const lines = problems.map((problem) => `  ${formatProblem(path, problem)}`);
  return `${path} is not valid (${problems.length} problem${problems.length === 1 ? '' : 's'}); ${consequence}:\n${lines.join('\n')}\nfix it (\`covenant config check\` shows what is wrong; docs/configuration.md lists every key)`;
}

export class DaemonConfig {
  private refusal: ConfigRefusal | null = null;

  private constructor(
    readonly path: string,
    private config: Config,
  ) {}

  /** At start: throws E_CONFIG_INVALID naming every problem with its key and line. */
  static load(path: string): DaemonConfig {
    const check = checkConfigFile(path);
    if (!check.ok) throw new CovenantError('E_CONFIG_INVALID', configInvalidMessage(path, check.problems, 'covenantd does not start'));
    return new DaemonConfig(path, check.config);
  }

  current(): Config {
    return this.config;
  }

  /** The latest refused reload, until a reload succeeds (doctor shows it). */
  lastRefusal(): ConfigRefusal | null {
    return this.refusal;
  }

  /** Re-reads the file: a valid one replaces the config in use; an invalid one is refused and changes nothing. */
  reload(now: number): { ok: true; config: Config } | { ok: false; problems: ConfigProblem[] } {
    const check = checkConfigFile(this.path);
    if (!check.ok) {
      this.refusal = { at_ms: now, problems: check.problems };
      return { ok: false, problems: check.problems };
    }
    this.config = check.config;
    this.refusal = null;
    return { ok: true, config: check.config };
  }
}
