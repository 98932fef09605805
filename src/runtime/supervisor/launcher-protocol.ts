/**
 * The messages between covenantd and its launcher process (launcher.ts, launcher-main.ts), over
 * the IPC channel node's `fork` opens. Internal: both ends are this package, started together.
 */
import type { SpawnSpec } from './agent-process.js';

/** covenantd → launcher: start `spec`; `id` names the launch in every report about it. */
export interface LaunchRequest {
  kind: 'launch';
  id: number;
  spec: SpawnSpec;
}

/**
 * launcher → covenantd, in this order for one launch: `started` (or `failed`), then one `stdio`
 * per descriptor 0, 1, 2, each carrying that socket as the message's handle, then `exit`.
 */
export type LauncherReport =
  | { kind: 'started'; id: number; pid: number }
  | { kind: 'stdio'; id: number; fd: 0 | 1 | 2 }
  | { kind: 'failed'; id: number; code: string | null; message: string }
  | { kind: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export function isLaunchRequest(value: unknown): value is LaunchRequest {
  return isRecord(value) && value.kind === 'launch' && Number.isInteger(value.id) && isRecord(value.spec) && typeof value.spec.command === 'string';
}

export function isLauncherReport(value: unknown): value is LauncherReport {
  if (!isRecord(value) || !Number.isInteger(value.id)) return false;
  switch (value.kind) {
    case 'started':
      return Number.isInteger(value.pid);
    case 'stdio':
      return value.fd === 0 || value.fd === 1 || value.fd === 2;
    case 'failed':
      return typeof value.message === 'string';
    case 'exit':
      return true;
    default:
      return false;
  }
}
