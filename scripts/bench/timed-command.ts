import { spawnSync } from 'node:child_process';
import { msSince } from './stats.js';

/** The intent the agent run by hand reads on stdin (the baseline of every dispatch row). */
export const INTENT_BY_HAND = `${JSON.stringify({ intent_id: '00000000-0000-4000-8000-000000000000', text: 'hello bench' })}\n`;

/** Whole-process milliseconds of `command args`, `input` on stdin; throws on a non-zero exit. */
export function timeCommand(command: string, args: string[], env: NodeJS.ProcessEnv, input?: string, cwd?: string): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { env, cwd, input, encoding: 'utf8' });
  const ms = msSince(start);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stdout}${result.stderr}`);
  return ms;
}
