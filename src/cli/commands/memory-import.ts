/**
 * `covenant memory import <file|dir>... [--tier T] [--json]` (SPEC 3): reads `.txt` and `.md`
 * files (directories recursively, skipping dot-entries and symbolic links), and sends them to
 * the daemon in `memory_import` requests of at most BATCH_BYTES of text; the daemon chunks them.
 * The CLI reads the files, not the daemon: a request never names a path for the daemon to open.
 * `metadata.source` is the path relative to the import root, the directory that holds the
 * argument (`covenant memory import docs` → `docs/memory.md`). Progress goes to stderr, and only
 * when stderr is a terminal.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { MAX_IMPORT_FILE_BYTES } from '../../protocol/constants.js';
import { CliFailure, type CommandOutcome, type GlobalFlags } from '../output.js';
import { openSession } from '../session.js';

const TEXT_FILE = /\.(txt|md|markdown)$/i;
/** Text per request: well under the 8 MiB frame limit. */
const BATCH_BYTES = 1024 * 1024;
/** Files per request (the bench imports its corpus in requests of this size too). */
export const BATCH_FILES = 200;

export interface MemoryImportFlags {
  tier?: string;
}

interface FoundFile {
  path: string;
  source: string;
}

function collect(path: string, root: string, out: FoundFile[]): void {
  const stat = lstatSync(path, { throwIfNoEntry: false });
  if (!stat) throw new CliFailure('E_NOT_FOUND', `no file or directory ${path}; check the path`);
  if (stat.isDirectory()) {
    for (const name of readdirSync(path).sort()) {
      if (name.startsWith('.')) continue;
      const child = join(path, name);
      const childStat = lstatSync(child);
      if (childStat.isDirectory() || (childStat.isFile() && TEXT_FILE.test(name))) collect(child, root, out);
    }
  } else if (stat.isFile()) {
    out.push({ path, source: relative(root, path).split(sep).join('/') });
  } else {
    throw new CliFailure('E_BAD_REQUEST', `${path} is neither a file nor a directory`);
  }
}

/** The files to import, in a stable order, each with its source name. */
export function importFiles(paths: readonly string[]): FoundFile[] {
  const found: FoundFile[] = [];
  for (const path of paths) {
    const absolute = resolve(path);
    collect(absolute, dirname(absolute), found);
  }
  return found;
}

function readText(path: string): string {
  const bytes = readFileSync(path);
  if (bytes.byteLength > MAX_IMPORT_FILE_BYTES) {
    throw new CliFailure('E_BAD_REQUEST', `${path} is ${bytes.byteLength} bytes; the limit is ${MAX_IMPORT_FILE_BYTES} (2 MiB): split it into smaller files`);
  }
  return bytes.toString('utf8');
}

export async function memoryImportCommand(flags: GlobalFlags, paths: string[], options: MemoryImportFlags): Promise<CommandOutcome> {
  const files = importFiles(paths);
  // Every file is read (and its size checked) before anything is sent.
  const texts = files.map((file) => ({ source: file.source, text: readText(file.path) }));
  const progress = process.stderr.isTTY ? (line: string) => process.stderr.write(`\r\x1b[K${line}`) : null;
  const totals = { kind: 'memory_imported' as const, files: 0, records: 0, skipped: 0 };
  if (texts.length > 0) {
    const { client } = await openSession(flags, { timeoutMs: 600_000 });
    try {
      let batch: typeof texts = [];
      let bytes = 0;
      const send = async () => {
        if (batch.length === 0) return;
        const reply = await client.call('memory_import', { files: batch, ...(options.tier !== undefined ? { tier: options.tier } : {}) });
        totals.files += reply.files;
        totals.records += reply.records;
        totals.skipped += reply.skipped;
        progress?.(`imported ${totals.files}/${texts.length} files (${totals.records} records)`);
        batch = [];
        bytes = 0;
      };
      for (const file of texts) {
        const size = Buffer.byteLength(file.text, 'utf8');
        if (batch.length > 0 && (bytes + size > BATCH_BYTES || batch.length >= BATCH_FILES)) await send();
        batch.push(file);
        bytes += size;
      }
      await send();
    } finally {
      client.close();
      progress?.('');
    }
  }
  const human = `imported ${totals.files} files: ${totals.records} records written, ${totals.skipped} files unchanged`;
  return { json: totals, human };
}
