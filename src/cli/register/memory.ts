import { InvalidArgumentError, type Command } from 'commander';
import { action, jsonCommand } from '../action.js';
import { wholeNumber, withPurgeCutoff, type PurgeFlags } from '../parsers.js';

const load = () => import('../commands/memory.js');
const loadImport = () => import('../commands/memory-import.js');

/** `--min-relevance F`: a number in [0, 1]; anything else is a usage error (exit 2). */
export function relevance(value: string): number {
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(value.trim())) throw new InvalidArgumentError('expected a number between 0 and 1, e.g. 0.2');
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('must be between 0 and 1');
  return n;
}

export interface MemoryWriteFlags {
  tier?: string;
  parent?: string;
}
export interface MemoryReadFlags {
  tier?: string;
  limit?: number;
  minRelevance?: number;
}
export interface MemoryPurgeFlags extends PurgeFlags {
  tier?: string;
}
export interface MemoryCompactFlags {
  reason: string;
  apply?: boolean;
}

const TIER_HELP = 'working, episodic or longterm (also long-term, long_term)';

/**
 * `covenant memory ...`. The `memory` group is found or created, so other command files (e.g.
 * `memory repair`) can add sub-commands to the same group in any order.
 */
export function registerMemoryCommands(program: Command): Command {
  const memory = program.commands.find((c) => c.name() === 'memory') ?? program.command('memory').description('memory records: write, read, search, purge, retention');
  jsonCommand(memory, 'write', 'write a memory record of your own (needs memory.write; default tier episodic)')
    .argument('<text...>', 'the text to remember')
    .option('--tier <tier>', TIER_HELP)
    .option('--parent <id>', 'id (or a unique prefix) of one of your records this one follows from')
    .action(action(async (flags, words: string[], options: MemoryWriteFlags) => (await load()).memoryWriteCommand(flags, words.join(' '), options)));
  jsonCommand(memory, 'recent', 'your newest memory records (needs memory.read or memory.read.<tier>)')
    .option('--tier <tier>', TIER_HELP)
    .option('-n, --limit <n>', 'how many (1-1000)', wholeNumber(1, 1000))
    .action(action(async (flags, options: MemoryReadFlags) => (await load()).memoryRecentCommand(flags, options)));
  jsonCommand(memory, 'search', 'your memory records most similar to a query (needs memory.read or memory.read.<tier>)')
    .argument('<query...>', 'what to look for')
    .option('--tier <tier>', TIER_HELP)
    .option('-n, --limit <n>', 'how many (1-1000)', wholeNumber(1, 1000))
    .option('--min-relevance <f>', 'only records at least this similar (0-1)', relevance)
    .action(action(async (flags, words: string[], options: MemoryReadFlags) => (await load()).memorySearchCommand(flags, words.join(' '), options)));
  jsonCommand(memory, 'import', 'import .txt and .md files as your records, chunked at paragraphs (needs memory.write)')
    .argument('<paths...>', 'files or directories (searched recursively)')
    .option('--tier <tier>', TIER_HELP)
    .action(action(async (flags, paths: string[], options: MemoryWriteFlags) => (await loadImport()).memoryImportCommand(flags, paths, options)));
  withPurgeCutoff(jsonCommand(memory, 'purge', 'delete your records older than the cutoff (needs memory.purge)'))
    .option('--tier <tier>', `only this tier: ${TIER_HELP}`)
    .action(action(async (flags, options: MemoryPurgeFlags) => (await load()).memoryPurgeCommand(flags, options)));
  jsonCommand(memory, 'compact', 'apply the [memory.retention] policy now (dry run unless --apply; needs memory.compact.*)')
    .requiredOption('--reason <text>', 'why (kept in the audit log)')
    .option('--apply', 'change records (default: dry run)')
    .action(action(async (flags, options: MemoryCompactFlags) => (await load()).memoryCompactCommand(flags, options)));
  return memory;
}
