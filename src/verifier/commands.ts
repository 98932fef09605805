/**
 * The exact CLI lines a drift item's `repair.command` carries. They are meant to be pasted
 * into a POSIX shell as they are: ids and reasons are quoted when they hold anything but
 * plain characters.
 */
import type { Repair, RepairAction } from '../protocol/index.js';

const PLAIN = /^[A-Za-z0-9_@.:/+=-]+$/;

/** A word as a POSIX shell reads it back unchanged. */
export function shellWord(word: string): string {
  if (PLAIN.test(word) && !word.startsWith('-')) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A reason in double quotes (the form the docs show) when that is safe, else single quotes. */
function shellReason(reason: string): string {
  return /^[^"$`\\!]*$/.test(reason) ? `"${reason}"` : shellWord(reason);
}

/** `covenant memory repair <action> <id> --reason "..." --apply`. */
export function repairCommand(action: RepairAction, id: string, reason: string): string {
  return `covenant memory repair ${action} ${shellWord(id)} --reason ${shellReason(reason)} --apply`;
}

export function targetedRepair(action: RepairAction, id: string, reason: string, safe: boolean): Repair {
  return { action, command: repairCommand(action, id, reason), safe };
}

/** No command fixes the fault; `command` shows its details and changes nothing. */
export function manualRepair(command: string): Repair {
  return { action: 'manual', command, safe: true };
}

/**
 * Splits a command line the way a POSIX shell would for the quoting `repairCommand` produces
 * (plain words, '...' and "..." without expansions). Used by tests and docs examples.
 */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error('unterminated single quote');
      current += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      const end = line.indexOf('"', i + 1);
      if (end < 0) throw new Error('unterminated double quote');
      current += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      current += line[i + 1];
      i += 1;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}
