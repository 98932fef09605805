import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * The log file as a pino destination that never throws and never buffers: a line that cannot be
 * written (disk full, I/O error) is dropped and counted, and the first line that can be written
 * again is preceded by a note of how many were dropped. Logging must never end the daemon.
 */
export class LogFile {
  private fd: number | null = null;
  private dropped = 0;
  private partial = false;
  private notified = false;
  private closed = false;

  constructor(
    private readonly path: string,
    /** Told once per episode when lines start being dropped (the binary says so on stderr). */
    private readonly onDropping: (error: unknown) => void = () => undefined,
  ) {
    this.fd = this.open();
  }

  write(line: string): boolean {
    if (this.closed) return true;
    if (this.fd === null) this.fd = this.open();
    if (this.dropped > 0 && this.fd !== null) {
      const note = { level: 40, time: Date.now(), name: 'covenantd', dropped_lines: this.dropped, msg: `${this.dropped} log lines were dropped while the log could not be written` };
      if (this.append(`${JSON.stringify(note)}\n`)) this.dropped = 0;
    }
    if (this.dropped > 0 || !this.append(line)) this.dropped += 1;
    return true;
  }

  /** Number of lines dropped since the log was last written (tests and status). */
  get droppedLines(): number {
    return this.dropped;
  }

  /** After a rotation renamed the file away. */
  reopen(): void {
    if (this.closed) return;
    this.closeFd();
    this.fd = this.open();
  }

  /** Later lines are ignored. */
  close(): void {
    this.closed = true;
    this.closeFd();
  }

  private closeFd(): void {
    if (this.fd === null) return;
    try {
      closeSync(this.fd);
    } catch {
      // nothing to do about it
    }
    this.fd = null;
  }

  private open(): number | null {
    try {
      return openSync(this.path, 'a', 0o600);
    } catch (error) {
      this.notify(error);
      return null;
    }
  }

  private append(text: string): boolean {
    if (this.fd === null) return false;
    // A line cut short by a full disk is ended before anything else is written after it.
    const bytes = Buffer.from(this.partial ? `\n${text}` : text);
    let offset = 0;
    try {
      while (offset < bytes.length) offset += writeSync(this.fd, bytes, offset);
      this.partial = false;
      this.notified = false;
      return true;
    } catch (error) {
      if (offset > 0) this.partial = true;
      this.notify(error);
      return false;
    }
  }

  private notify(error: unknown): void {
    if (this.notified) return;
    this.notified = true;
    this.onDropping(error);
  }
}
