import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_RETENTION, loadRetentionPolicy, parseRetentionConfig } from '../../src/memory/index.js';
import { tempDir } from '../helpers/temp-home.js';

test('defaults: working 24 h, episodic 90 days, long-term unlimited; no count limits; a missing file means defaults', () => {
  assert.deepEqual(DEFAULT_RETENTION, {
    working: { max_age_ms: 86_400_000, max_count: null },
    episodic: { max_age_ms: 7_776_000_000, max_count: null },
    longterm: { max_age_ms: null, max_count: null },
  });
  const { dir, cleanup } = tempDir();
  try {
    assert.deepEqual(loadRetentionPolicy(`${dir}/config.toml`), DEFAULT_RETENTION);
  } finally {
    cleanup();
  }
  assert.deepEqual(parseRetentionConfig('[model]\nprovider = "none"\n'), DEFAULT_RETENTION);
});

test('configured keys override defaults; "unlimited" clears a limit; tier spellings are accepted', () => {
  const policy = parseRetentionConfig(`
[memory.retention.working]
max_count = 50
[memory.retention.episodic]
max_age_ms = "unlimited"
max_count = 1000
[memory.retention.long_term]
max_age_ms = 31536000000
`);
  assert.deepEqual(policy, {
    working: { max_age_ms: 86_400_000, max_count: 50 },
    episodic: { max_age_ms: null, max_count: 1000 },
    longterm: { max_age_ms: 31_536_000_000, max_count: null },
  });
});

test('errors name the file and the key path', () => {
  const cases: Array<[string, string]> = [
    ['[memory.retention.working]\nmax_age = 5\n', 'config.toml: memory.retention.working.max_age: unknown key; allowed keys: max_age_ms, max_count'],
    ['[memory.retention.episodic]\nmax_age_ms = 0\n', 'config.toml: memory.retention.episodic.max_age_ms: expected a positive whole number or "unlimited"'],
    ['[memory.retention.episodic]\nmax_count = 1.5\n', 'config.toml: memory.retention.episodic.max_count: expected a positive whole number or "unlimited"'],
    ['[memory.retention.episodic]\nmax_count = "many"\n', 'config.toml: memory.retention.episodic.max_count: expected a positive whole number or "unlimited"'],
    ['[memory.retention.semantic]\nmax_count = 1\n', 'config.toml: memory.retention.semantic: unknown tier; use one of working, episodic, longterm (also long-term, long_term)'],
    ['[memory.retention]\nworking = 1\n', 'config.toml: memory.retention.working: expected a table with max_age_ms and/or max_count'],
    ['[memory]\nretention = 1\n', 'config.toml: memory.retention: expected a table ([memory.retention])'],
    ['[memory.retention.longterm]\nmax_count = 1\n[memory.retention.long-term]\nmax_count = 2\n', 'config.toml: memory.retention.long-term: tier longterm is configured twice'],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseRetentionConfig(text), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'E_BAD_REQUEST');
      assert.equal(error.message, message);
      return true;
    });
  }
  assert.throws(() => parseRetentionConfig('[memory.retention\n'), /config\.toml: not valid TOML at line 1/);
});
