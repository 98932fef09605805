/** Where progress goes: stderr, or a stand-in in tests. */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

export interface ProgressOptions {
  /** `--json`: nothing extra is ever written. */
  json?: boolean | undefined;
  stream?: ProgressStream;
  /** The first line after this long (a quick answer shows nothing), then one every `everyMs`. */
  afterMs?: number;
  everyMs?: number;
}

/**
 * For operations that may take long (a slow intent, a large flush): while `work` runs, an
 * elapsed line (`covenant: <label>… 12s`) rewritten in place on stderr, only when stderr is a
 * terminal and the output is not `--json`; the line is cleared when `work` settles. Nothing
 * else changes: stdout and the exit code are the command's own.
 */
export async function withProgress<T>(label: string, work: Promise<T>, options: ProgressOptions = {}): Promise<T> {
  const stream = options.stream ?? process.stderr;
  if (options.json || stream.isTTY !== true) return work;
  const started = Date.now();
  let shown = false;
  const show = () => {
    shown = true;
    stream.write(`\r\x1b[Kcovenant: ${label}… ${Math.round((Date.now() - started) / 1000)}s`);
  };
  let ticker: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    show();
    ticker = setInterval(show, options.everyMs ?? 1000);
  }, options.afterMs ?? 1000);
  try {
    return await work;
  } finally {
    clearTimeout(first);
    clearInterval(ticker);
    if (shown) stream.write('\r\x1b[K');
  }
}
