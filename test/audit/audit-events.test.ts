import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { AUDIT_EVENTS, readAuditPayload, type NewAuditEvent } from '../../src/audit/index.js';
import { CovenantError } from '../../src/core/index.js';
import { logHarness, type LogHarness } from './audit-test-helpers.js';

/** The fields of a payload schema as docs/audit.md writes them: `name?` when optional, shapes separated by " — or — ". */
function fieldsOf(schema: z.ZodType): string {
  if (schema instanceof z.ZodUnion) return (schema.options as z.ZodType[]).map(fieldsOf).join(' — or — ');
  assert.ok(schema instanceof z.ZodObject, 'every payload schema is an object or a union of objects');
  return Object.entries(schema.shape as Record<string, z.ZodType>)
    .map(([name, field]) => (field.safeParse(undefined).success ? `${name}?` : name))
    .join(', ');
}

/** The rows of the "Event kinds" table in docs/audit.md: kind -> fields column. */
function documentedKinds(): Map<string, string> {
  const doc = readFileSync(new URL('../../docs/audit.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('## Event kinds'), doc.indexOf('\n## ', doc.indexOf('## Event kinds') + 1));
  const rows = new Map<string, string>();
  for (const match of section.matchAll(/^\| `([a-z0-9_]+)` \| ([^|]+) \|/gm)) rows.set(match[1]!, match[2]!.trim());
  return rows;
}

describe('audit event catalogue', () => {
  test('docs/audit.md lists exactly the catalogued kinds, each with its payload fields', () => {
    const documented = documentedKinds();
    assert.deepEqual([...documented.keys()].sort(), Object.keys(AUDIT_EVENTS).sort());
    for (const [kind, schema] of Object.entries(AUDIT_EVENTS)) {
      assert.equal(documented.get(kind), fieldsOf(schema), `docs/audit.md row of ${kind}`);
    }
  });

  describe('append', () => {
    let h: LogHarness;
    before(() => {
      h = logHarness();
    });
    after(() => h.done());
    const rows = () => h.db.prepare('SELECT count(*) AS n FROM audit_events').get() as { n: number };

    test('a wrong payload for a kind does not compile, and is refused at run time before anything is written', () => {
      const before = rows().n;
      // @ts-expect-error -- daemon_stopped needs `reason`
      const missing: NewAuditEvent = { kind: 'daemon_stopped', payload: {} };
      // @ts-expect-error -- `reason` is a string
      const mistyped: NewAuditEvent = { kind: 'daemon_stopped', payload: { reason: 7 } };
      // @ts-expect-error -- a field the catalogue does not have
      const extra: NewAuditEvent = { kind: 'daemon_stopped', payload: { reason: 'stop', token: 'secret' } };
      // @ts-expect-error -- a kind the catalogue does not have
      const unknown: NewAuditEvent = { kind: 'made_up', payload: {} };
      for (const event of [missing, mistyped, extra, unknown]) {
        assert.throws(
          () => h.log.append(h.operator, event),
          (error: unknown) => error instanceof CovenantError && error.code === 'E_INTERNAL' && /catalogue|schema/.test(error.message),
        );
      }
      assert.equal(rows().n, before, 'no row was written');
    });

    test('a refused event inside a transaction rolls the change back with it', () => {
      const before = rows().n;
      assert.throws(() =>
        h.db.transaction(() => {
          h.log.append(h.operator, { kind: 'daemon_stopped', payload: { reason: 'first' } });
          h.log.append(h.operator, { kind: 'daemon_stopped', payload: { reason: null } } as unknown as NewAuditEvent);
        })(),
      );
      assert.equal(rows().n, before);
    });

    test('the payload is stored as built (key order included) and reads back typed', () => {
      // The schema lists old_prefix first: the stored text keeps the caller's order all the same.
      const payload = { new_prefix: 'mnopqr', old_prefix: 'stuvwx', also_revoked_prefixes: ['ghijkl'] };
      const stored = h.log.append(h.operator, { kind: 'operator_token_rotated', payload });
      const text = (h.db.prepare('SELECT payload FROM audit_events WHERE seq = ?').get(stored.seq) as { payload: string }).payload;
      assert.equal(text, JSON.stringify(payload));
      assert.equal(readAuditPayload('operator_token_rotated', JSON.parse(text))?.new_prefix, 'mnopqr');
      assert.equal(readAuditPayload('operator_token_rotated', { new_prefix: 'x' }), null, 'a row off its schema reads as null');
      assert.equal(h.verify().valid, true);
    });
  });
});
