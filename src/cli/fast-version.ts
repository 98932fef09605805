/**
 * `covenant version` is run by scripts and health checks far more often than anything else
 * and must start about as fast as node itself, so it bypasses commander: this path accepts
 * exactly `version [--json] [--home DIR]`; any other shape goes to the full parser.
 */
export function fastVersionArgs(argv: string[]): { json: boolean; home?: string } | null {
  const args = argv.slice(2);
  let json = false;
  let home: string | undefined;
  let sawVersion = false;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === 'version' && !sawVersion) sawVersion = true;
    else if (arg === '--json' && sawVersion && !json) json = true;
    else if (arg === '--home' && i + 1 < args.length && home === undefined) home = args[++i];
    else return null;
  }
  return sawVersion ? { json, home } : null;
}
