import { spawn, type ChildProcess } from 'node:child_process';
import type { ControlCommand } from './agent-process.js';

/**
 * Runs `command` with no stdio, SIGKILLed after `timeoutMs`; resolves with its exit code (null
 * when it could not be started or was killed), never rejects.
 */
export function runControl(command: ControlCommand, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(command.command, command.args, { stdio: 'ignore', env: command.env, timeout: timeoutMs, killSignal: 'SIGKILL' });
    } catch {
      resolve(null);
      return;
    }
    child.once('error', () => resolve(null));
    child.once('exit', (code) => resolve(code));
  });
}
