import { join } from 'node:path';
import { AuditLog } from '../../src/audit/index.js';
import { BudgetService } from '../../src/budget/index.js';
import { generateSeed, keyPairFromSeed, type AgentId } from '../../src/identity/index.js';
import { migrate, openDatabase, type Db } from '../../src/store/index.js';
import { tempDir } from '../helpers/temp-home.js';
import { auditRows } from '../helpers/audit-rows.js';
import { FakeClock } from '../helpers/fake-clock.js';

export { FakeClock };

export interface BudgetHarness {
  dir: string;
  db: Db;
  clock: FakeClock;
  audit: AuditLog;
  budget: BudgetService;
  operator: AgentId;
  alice: AgentId;
  auditRows(kind: string): Array<{ issuer_pubkey: string; payload: Record<string, unknown> }>;
  ledger(intentId?: string): Array<{ agent_id: string; intent_id: string | null; kind: string; credits: number; balance_after: number }>;
  close(): void;
}

export function budgetHarness(): BudgetHarness {
  const { dir, cleanup } = tempDir('covenant-budget-');
  const db = openDatabase(join(dir, 'covenant.db'));
  migrate(db);
  const clock = new FakeClock();
  const keys = keyPairFromSeed(generateSeed());
  const operator: AgentId = { display: 'user@local', pubkey: keys.publicKeyB58 };
  const alice: AgentId = { display: 'alice@laptop', pubkey: keyPairFromSeed(generateSeed()).publicKeyB58 };
  const audit = new AuditLog(db, keys, clock);
  const budget = new BudgetService({ db, audit, clock, daemon: operator });
  return {
    dir,
    db,
    clock,
    audit,
    budget,
    operator,
    alice,
    auditRows: (kind) => auditRows(db, kind),
    ledger(intentId) {
      const rows = db.prepare('SELECT agent_id, intent_id, kind, credits, balance_after FROM budget_ledger ORDER BY id').all() as Array<{
        agent_id: string;
        intent_id: string | null;
        kind: string;
        credits: number;
        balance_after: number;
      }>;
      return intentId === undefined ? rows : rows.filter((r) => r.intent_id === intentId);
    },
    close() {
      db.close();
      cleanup();
    },
  };
}
