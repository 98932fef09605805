export interface ConnectionCloser {
  /** Open connections (or streams) authenticated with this token. */
  count(tokenHash: string): number;
  close(tokenHash: string): void;
}

/**
 * Closes every open connection of a revoked token, on every transport. Closing waits for the
 * current turn of the event loop so the revoking request's own answer is still delivered.
 */
export class TokenDisconnector {
  private readonly closers = new Set<ConnectionCloser>();

  add(closer: ConnectionCloser): void {
    this.closers.add(closer);
  }

  /** Schedules the close and returns how many connections it will close. */
  token(tokenHash: string): number {
    let count = 0;
    for (const closer of this.closers) count += closer.count(tokenHash);
    setImmediate(() => {
      for (const closer of this.closers) closer.close(tokenHash);
    });
    return count;
  }
}
