import Database from 'better-sqlite3';

export interface AuditRow {
  seq: number;
  kind: string;
  payload: string;
}

/**
 * Reads covenantd's audit table read-only while it runs (WAL lets a reader in beside the
 * writer). Every refusal's row is committed before its answer is sent, so the rows after a
 * given seq are complete once the answer has arrived.
 */
export class AuditReader {
  private readonly db: Database.Database;
  private readonly after: Database.Statement<[number], AuditRow>;
  private readonly max: Database.Statement<[], { seq: number | null }>;

  constructor(path: string) {
    this.db = new Database(path, { readonly: true, fileMustExist: true });
    this.after = this.db.prepare('SELECT seq, kind, payload FROM audit_events WHERE seq > ? ORDER BY seq');
    this.max = this.db.prepare('SELECT MAX(seq) AS seq FROM audit_events');
  }

  rowsAfter(seq: number): AuditRow[] {
    return this.after.all(seq);
  }

  maxSeq(): number {
    return this.max.get()?.seq ?? 0;
  }

  close(): void {
    this.db.close();
  }
}
