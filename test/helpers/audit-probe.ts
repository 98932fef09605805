import type { NewAuditEvent } from '../../src/audit/index.js';

/**
 * Catalogued audit events for tests that need rows of their own (the catalogue admits no
 * made-up kinds). `probe` stores `n` as both fields of a purge row; `marked` carries a marker
 * string a test can look for in a stream.
 */
export function probe(n: number, kind: 'peers_purged' | 'capabilities_purged' = 'peers_purged'): NewAuditEvent {
  return { kind, payload: { before_ms: n, purged: n } };
}

export function marked(marker: string): NewAuditEvent {
  return { kind: 'budget_topped_up', payload: { agent: marker, credits: 0, balance: 0 } };
}
