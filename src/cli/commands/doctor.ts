import { homePaths, resolveHome } from '../../home/layout.js';
import { CliFailure, toFailure, type CommandOutcome, type GlobalFlags } from '../output.js';
import type { ResponseOf } from '../../protocol/index.js';
import { callDaemon } from '../session.js';

type DoctorCheck = ResponseOf<'doctor'>['checks'][number];

/** Without a daemon (or a token) the report has one failed check saying how to get one. */
const OFFLINE_CODES = new Set(['E_DAEMON_UNREACHABLE', 'E_TOKEN_MISSING']);

export async function doctorCommand(flags: GlobalFlags): Promise<CommandOutcome> {
  let checks: DoctorCheck[];
  try {
    ({ checks } = await callDaemon(flags, 'doctor', {}));
  } catch (error) {
    const failure = toFailure(error);
    if (!OFFLINE_CODES.has(failure.code)) throw error instanceof CliFailure ? error : failure;
    const home = resolveHome(flags.home);
    checks = [
      {
        name: 'daemon',
        ok: false,
        detail: `${failure.message} (${failure.code})`,
        fix: `start it with \`covenantd${flags.home === undefined ? '' : ` --home ${home}`}\` (home ${home}, socket ${homePaths(home).sock}); the other checks need a running daemon`,
      },
    ];
  }
  const failed = checks.filter((c) => c.ok === false).length;
  const human = checks.flatMap((c) => {
    const tag = c.ok === true ? 'ok  ' : c.ok === false ? 'FAIL' : 'skip';
    const lines = [`${tag}  ${c.name}: ${c.detail}`];
    if (c.fix && c.ok !== true) lines.push(`      fix: ${c.fix}`);
    for (const line of c.log_tail ?? []) lines.push(`      | ${line}`);
    return lines;
  });
  human.push(failed === 0 ? 'doctor: no problems found' : `doctor: ${failed} check(s) failed`);
  return { json: { kind: 'doctor_report', checks }, human, exitCode: failed === 0 ? 0 : 1 };
}
