/**
 * `covenant config check` and `covenant config show`: they read the file themselves (no daemon
 * needed) with the same schema covenantd applies at start and on SIGHUP.
 */
import { resolve } from 'node:path';
import { checkConfigFile, configInvalidMessage, effectiveToml, effectiveView, formatProblem } from '../../config/index.js';
import { homePaths, resolveHome } from '../../home/layout.js';
import { CliFailure, type CommandOutcome, type GlobalFlags } from '../output.js';
import type { ConfigFlags } from '../register/config.js';

function configPath(flags: GlobalFlags, options: ConfigFlags): string {
  return options.file !== undefined ? resolve(options.file) : homePaths(resolveHome(flags.home)).config;
}

export async function configCheckCommand(flags: GlobalFlags, options: ConfigFlags): Promise<CommandOutcome> {
  const file = configPath(flags, options);
  const check = checkConfigFile(file);
  if (!check.ok) {
    return {
      json: { kind: 'config_check', file, exists: true, valid: false, problems: check.problems },
      human: [`${file}: INVALID (${check.problems.length} problem${check.problems.length === 1 ? '' : 's'})`, ...check.problems.map((p) => `  ${formatProblem(file, p)}`), 'docs/configuration.md lists every key'],
      exitCode: 1,
    };
  }
  return {
    json: { kind: 'config_check', file, exists: check.exists, valid: true, problems: [] },
    human: check.exists ? `${file}: valid` : `${file}: no such file (valid: every default applies)`,
  };
}

export async function configShowCommand(flags: GlobalFlags, options: ConfigFlags): Promise<CommandOutcome> {
  const file = configPath(flags, options);
  const check = checkConfigFile(file);
  if (!check.ok) throw new CliFailure('E_CONFIG_INVALID', configInvalidMessage(file, check.problems, 'there is no effective configuration to show'));
  return {
    json: { kind: 'config', file, exists: check.exists, config: effectiveView(check.config) },
    human: [`# ${file}${check.exists ? '' : ' (no such file)'}: effective values, defaults filled in, secrets cut`, effectiveToml(check.config).trimEnd()],
  };
}
