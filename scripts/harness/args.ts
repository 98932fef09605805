/** `--name value` and `--flag` arguments of the harness scripts; unknown ones are refused. */
export function parseArgs(argv: string[], numeric: readonly string[], flags: readonly string[]): { numbers: Map<string, number>; flags: Set<string> } {
  const numbers = new Map<string, number>();
  const set = new Set<string>();
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    const name = arg.replace(/^--/, '');
    if (flags.includes(name)) {
      set.add(name);
      continue;
    }
    if (!numeric.includes(name)) {
      throw new Error(`unknown argument ${arg}; known: ${[...numeric.map((n) => `--${n} N`), ...flags.map((f) => `--${f}`)].join(', ')}`);
    }
    const value = Number(argv[i + 1]);
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} needs a whole number, got ${JSON.stringify(argv[i + 1] ?? '')}`);
    numbers.set(name, value);
    i += 1;
  }
  return { numbers, flags: set };
}
