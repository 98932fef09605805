/**
 * How `memory import` cuts a file into records (SPEC 3, docs/memory.md "Import"): at paragraph
 * boundaries (blank lines), whole paragraphs packed into chunks of at most CHUNK_CHARS
 * characters; in markdown a heading always starts a new chunk, so a chunk is one section or part
 * of one. A paragraph longer than CHUNK_CHARS is cut into windows of CHUNK_CHARS that overlap by
 * CHUNK_OVERLAP characters, each cut at whitespace where there is any. Chunks never overlap
 * otherwise. Line endings are normalised to `\n`; each chunk is trimmed; blank chunks are dropped.
 */
export const CHUNK_CHARS = 1200;
export const CHUNK_OVERLAP = 200;

const HEADING = /^#{1,6}\s/;

/** Windows of at most CHUNK_CHARS over one long paragraph, overlapping by about CHUNK_OVERLAP. */
function windows(paragraph: string): string[] {
  const out: string[] = [];
  let start = 0;
  while (start < paragraph.length) {
    let end = Math.min(paragraph.length, start + CHUNK_CHARS);
    if (end < paragraph.length) {
      const space = paragraph.lastIndexOf(' ', end);
      if (space > start + CHUNK_CHARS / 2) end = space;
    }
    out.push(paragraph.slice(start, end).trim());
    if (end >= paragraph.length) break;
    let next = end - CHUNK_OVERLAP;
    const space = paragraph.indexOf(' ', next);
    if (space !== -1 && space < end) next = space + 1;
    start = Math.max(next, start + 1);
  }
  return out;
}

export function chunkText(text: string, markdown: boolean): string[] {
  const paragraphs = text
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  const chunks: string[] = [];
  let current = '';
  const close = () => {
    if (current.length > 0) chunks.push(current);
    current = '';
  };
  for (const paragraph of paragraphs) {
    if (markdown && HEADING.test(paragraph)) close();
    if (paragraph.length > CHUNK_CHARS) {
      close();
      chunks.push(...windows(paragraph));
      continue;
    }
    if (current.length > 0 && current.length + 2 + paragraph.length > CHUNK_CHARS) close();
    current = current.length > 0 ? `${current}\n\n${paragraph}` : paragraph;
  }
  close();
  return chunks.filter((c) => c.length > 0);
}
