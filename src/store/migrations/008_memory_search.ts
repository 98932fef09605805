import type { Migration } from '../migration.js';

/**
 * Hybrid memory search (SPEC 3, docs/memory.md "Search"):
 *
 * - `memory_fts`: an FTS5 index (`porter unicode61`) over `memory_records.text`, external
 *   content keyed by the record's rowid. Triggers keep it in the same transaction as the record
 *   for every writer (memory_write, import, dispatch, repairs) and every delete (purge,
 *   retention, repair); the `rebuild` indexes the records written before this migration.
 * - `memory_index_meta`: a random nonce naming this database, written into the persisted vector
 *   index files so a file from another database (a restored or copied home) is never loaded.
 * - `memory_records_import`: finds the chunks of an imported file by their import key
 *   (`metadata.import_key`), so re-importing an unchanged file is a no-op.
 */
export const memorySearch: Migration = {
  version: 8,
  name: 'memory full-text index, search-index nonce, import keys',
  sql: `
    CREATE VIRTUAL TABLE memory_fts USING fts5(
      text, content = 'memory_records', content_rowid = 'rowid', tokenize = 'porter unicode61'
    );
    CREATE TRIGGER memory_records_fts_insert AFTER INSERT ON memory_records
    BEGIN
      INSERT INTO memory_fts (rowid, text) VALUES (new.rowid, new.text);
    END;
    CREATE TRIGGER memory_records_fts_delete AFTER DELETE ON memory_records
    BEGIN
      INSERT INTO memory_fts (memory_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
    END;
    CREATE TRIGGER memory_records_fts_update AFTER UPDATE OF text ON memory_records
    BEGIN
      INSERT INTO memory_fts (memory_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
      INSERT INTO memory_fts (rowid, text) VALUES (new.rowid, new.text);
    END;
    INSERT INTO memory_fts (memory_fts) VALUES ('rebuild');

    CREATE TABLE memory_index_meta (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      nonce TEXT NOT NULL
    );
    INSERT INTO memory_index_meta (id, nonce) VALUES (1, lower(hex(randomblob(16))));

    CREATE INDEX memory_records_import ON memory_records (owner, json_extract(metadata, '$.import_key'))
      WHERE json_extract(metadata, '$.import_key') IS NOT NULL;
  `,
};
