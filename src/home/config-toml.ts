import { parse as parseToml, TomlError } from 'smol-toml';

/**
 * Parses `$COVENANT_HOME/config.toml` text. Each part reads its own section from the document;
 * a syntax error comes back as one message naming the file, line and column.
 */
export function parseConfigToml(text: string, source: string): { document: Record<string, unknown> } | { error: string } {
  try {
    return { document: parseToml(text) };
  } catch (error) {
    const where = error instanceof TomlError ? ` at line ${error.line}, column ${error.column}` : '';
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { error: `${source}: not valid TOML${where}: ${reason}` };
  }
}
