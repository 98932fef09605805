import { closeSync, existsSync, openSync, readSync, statSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { CovenantError } from '../../core/errors.js';
import { formatLogLine } from '../../core/log-format.js';
import { homePaths, resolveHome } from '../../home/layout.js';
import type { CommandOutcome, GlobalFlags } from '../output.js';

/** The most of the log's end `covenant logs` reads to find the last N lines. */
const TAIL_WINDOW_BYTES = 8 * 1024 * 1024;

function readRange(path: string, start: number, end: number): string {
  if (end <= start) return '';
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(end - start);
    const read = readSync(fd, buffer, 0, buffer.length, start);
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** The last `count` complete lines of the log, and the offset just after them. */
function tail(path: string, count: number): { lines: string[]; offset: number } {
  const size = statSync(path).size;
  const start = Math.max(0, size - TAIL_WINDOW_BYTES);
  const text = readRange(path, start, size);
  const end = text.lastIndexOf('\n') + 1; // a half-written last line is read when it is complete
  const lines = text.slice(0, end).split('\n').slice(0, -1);
  if (start > 0) lines.shift(); // cut in the middle
  return { lines: lines.slice(-count), offset: start + Buffer.byteLength(text.slice(0, end)) };
}

/** One line of the log as a person reads it (a line that is not pino's JSON as it is). */
function readable(line: string): string {
  return formatLogLine(line).replace(/\n$/, '');
}

function logPath(flags: GlobalFlags): string {
  const path = homePaths(resolveHome(flags.home)).daemonLog;
  if (!existsSync(path)) throw new CovenantError('E_NOT_FOUND', `no daemon log at ${path}; covenantd writes it once it has started (start it with \`covenantd\`)`);
  return path;
}

export async function logsCommand(flags: GlobalFlags, options: { limit: number; follow?: boolean }): Promise<CommandOutcome> {
  const path = logPath(flags);
  const { lines, offset } = tail(path, options.limit);
  // The file holds pino's JSON lines: --json gives them as they are, a person gets them readable.
  if (!options.follow) return { json: { kind: 'daemon_log', path, lines }, human: lines.map(readable) };
  for (const line of lines) process.stdout.write(`${readable(line)}\n`);
  await followLog(path, offset);
  return { json: { kind: 'daemon_log' }, human: [] };
}

/**
 * `logs -f`: prints lines as covenantd appends them, woken by the file system (fs.watch on the
 * log's directory, so a rotation, which renames the file and starts a new one, is seen too),
 * until SIGINT or SIGTERM (exit 0). A log that shrank or was replaced is read from its start.
 */
async function followLog(path: string, from: number): Promise<void> {
  let offset = from;
  let inode = statSync(path).ino;
  let pending = '';
  const readNew = () => {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      return; // between the rename of a rotation and the new file
    }
    if (stat.ino !== inode || stat.size < offset) {
      inode = stat.ino;
      offset = 0;
      pending = '';
    }
    if (stat.size === offset) return;
    const text = pending + readRange(path, offset, stat.size);
    offset = stat.size;
    const end = text.lastIndexOf('\n') + 1;
    pending = text.slice(end);
    for (const line of text.slice(0, end).split('\n').slice(0, -1)) process.stdout.write(`${readable(line)}\n`);
  };
  await new Promise<void>((resolve) => {
    const watcher = watch(dirname(path), (_event, name) => {
      if (name === null || name === basename(path)) readNew();
    });
    const stop = () => {
      watcher.close();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    process.stdout.on('error', stop);
    readNew(); // what was appended before the watch began
  });
}
