/**
 * The memory-search bench's corpus: deterministic synthetic notes (6–24 words from a
 * 5,000-word Zipf-like vocabulary) written through the product's bulk path, `memory import`
 * (`MemoryService.import`: local embeddings, one transaction per request with each record's row,
 * FTS5 row and memory receipt, and one audit row), in requests of the CLI's size (BATCH_FILES
 * one-note files each).
 */
import { BATCH_FILES } from '../../src/cli/commands/memory-import.js';
import type { AgentId } from '../../src/identity/index.js';
import type { MemoryService } from '../../src/memory/index.js';

/** A deterministic pseudo-random source (the same corpus on every run). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'qua', 'dri', 'pol', 'fen', 'gur', 'bis', 'hal'];

export function vocabulary(size: number, rand: () => number): string[] {
  const words = new Set<string>();
  while (words.size < size) {
    const n = 2 + Math.floor(rand() * 3);
    let word = '';
    for (let i = 0; i < n; i += 1) word += SYLLABLES[Math.floor(rand() * SYLLABLES.length)];
    words.add(word);
  }
  return [...words];
}

export function sentence(words: readonly string[], rand: () => number, min: number, max: number): string {
  const n = min + Math.floor(rand() * (max - min + 1));
  // Zipf-ish: frequent words are frequent, as in real notes.
  return Array.from({ length: n }, () => words[Math.floor(words.length * rand() * rand())]).join(' ');
}

/** Notes and queries drawn from one vocabulary and one seed. */
export class SyntheticNotes {
  private readonly rand = lcg(20_240_611);
  private readonly words = vocabulary(5000, this.rand);
  private written = 0;

  note(): string {
    return sentence(this.words, this.rand, 6, 24);
  }

  query(): string {
    return sentence(this.words, this.rand, 2, 5);
  }

  /** Imports `count` more notes as `caller`'s episodic records; the records written. */
  async importNotes(memory: MemoryService, caller: AgentId, count: number): Promise<number> {
    let records = 0;
    for (let done = 0; done < count; done += BATCH_FILES) {
      const files = Array.from({ length: Math.min(BATCH_FILES, count - done) }, () => {
        this.written += 1;
        return { source: `notes/${this.written}.txt`, text: this.note() };
      });
      records += (await memory.import(caller, { tier: 'episodic', files })).records;
    }
    return records;
  }
}
