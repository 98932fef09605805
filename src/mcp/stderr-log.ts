/**
 * An MCP server's stderr (SPEC 11): appended to `logs/mcp-<name>.log`, which is rotated to
 * `.log.1` past `maxBytes` (so at most twice that on disk), and the last lines kept in memory for
 * `doctor` and `tools servers`.
 */
import { appendFileSync, renameSync, statSync } from 'node:fs';

export const STDERR_LOG_MAX_BYTES = 1024 * 1024;
export const STDERR_TAIL_LINES = 20;
const MAX_LINE_CHARS = 500;

export class StderrLog {
  private readonly tail: string[] = [];
  private partial = '';
  private size: number;

  constructor(
    readonly path: string,
    private readonly maxBytes = STDERR_LOG_MAX_BYTES,
  ) {
    try {
      this.size = statSync(path).size;
    } catch {
      this.size = 0;
    }
  }

  /** Raw bytes from the server's stderr. */
  write(chunk: Buffer): void {
    this.append(chunk);
    const text = this.partial + chunk.toString('utf8');
    const lines = text.split('\n');
    this.partial = (lines.pop() ?? '').slice(0, MAX_LINE_CHARS);
    for (const line of lines) this.remember(line);
  }

  /** A line Covenant itself adds (start, exit, ignored stdout), marked as such. */
  note(line: string): void {
    this.append(Buffer.from(`[covenant] ${line}\n`));
    this.remember(`[covenant] ${line}`);
  }

  lastLines(count = STDERR_TAIL_LINES): string[] {
    const pending = this.partial === '' ? [] : [this.partial];
    return [...this.tail, ...pending].slice(-count);
  }

  private remember(line: string): void {
    const trimmed = line.replace(/\r$/, '');
    if (trimmed === '') return;
    this.tail.push(trimmed.length > MAX_LINE_CHARS ? `${trimmed.slice(0, MAX_LINE_CHARS)}…` : trimmed);
    if (this.tail.length > STDERR_TAIL_LINES) this.tail.shift();
  }

  private append(bytes: Buffer): void {
    try {
      if (this.size > 0 && this.size + bytes.length > this.maxBytes) {
        renameSync(this.path, `${this.path}.1`);
        this.size = 0;
      }
      appendFileSync(this.path, bytes, { mode: 0o600 });
      this.size += bytes.length;
    } catch {
      // a full or read-only disk must not take the server down; the in-memory tail still works
    }
  }
}
