import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Ignore } from 'ignore';
import { CovenantError } from '../core/index.js';
import { writePrivateFile } from '../home/index.js';
import { extractCandidates } from './candidates.js';
import { DEFAULT_IGNORE_FILE } from './default-rules.js';
import { isNegation, matcher, parseRules, positiveForm, safeIgnores, samplePaths } from './rules.js';

/** The agent ids an agent-scoped ignore file may belong to (the manifest's `agent.id` form). */
const AGENT_ID = /^[a-z][a-z0-9-]{0,62}$/;
export const AGENT_IGNORE_FILE = '.covenantignore';

export interface IgnoreVerdict {
  ignored: boolean;
  /** The rule line that decided it (as written in the file), or null. */
  matched_rule: string | null;
  /** `home` or `agent:<id>`, or null when not ignored. */
  source: string | null;
  /** The path (normalised) the rule matched, or null. */
  matched_path: string | null;
  /** Rules in force for this check: the home rules plus the agent rules that were applied. */
  rules_loaded: number;
  /** Agent negation rules refused because they would un-ignore something the home rules ignore. */
  refused_overrides: string[];
}

export interface IgnoreGateOptions {
  /** `$COVENANT_HOME/.covenantignore`. */
  homeFile: string;
  /** `$COVENANT_HOME/agents`: an agent's file is `<agentsDir>/<id>/.covenantignore`. */
  agentsDir: string;
  /** Told when a file is (re)loaded or seeded; for the daemon log. */
  onReload?: (event: { file: string; rules: number; seeded: boolean }) => void;
}

interface LoadedFile {
  key: string;
  rules: string[];
  matcher: Ignore;
}

interface AgentRules {
  key: string;
  /** Rules applied for intents routed to the agent (refused negations removed). */
  applied: string[];
  matcher: Ignore;
  /** Every negation in the agent file, each with a matcher of its positive form. */
  negations: Array<{ rule: string; positive: Ignore }>;
  /** Negations refused statically (they overlap what the home rules ignore). */
  refused: string[];
}

function fileKey(path: string): string | null {
  try {
    const st = statSync(path, { bigint: true });
    if (!st.isFile()) return `notfile:${st.ino}`;
    return `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function readRules(path: string): string[] {
  try {
    return parseRules(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CovenantError(
      'E_INTERNAL',
      `cannot read ignore rules from ${path} (${(error as NodeJS.ErrnoException).code ?? 'read error'}); make it a readable regular file (mode 0600)`,
    );
  }
}

/**
 * The `.covenantignore` gate (SPEC 7, docs/ignore-policy.md). Rules are re-read when a file's
 * inode, size, mtime or ctime changes (checked on every call). The home file is seeded with the
 * default secret rules when absent. Agent files can only add rules: a home-ignored path stays
 * ignored whatever the agent file says, and an agent negation that would un-ignore a home rule
 * is refused (not applied) and reported.
 */
export class IgnoreGate {
  private home: LoadedFile | null = null;
  private readonly agents = new Map<string, AgentRules>();

  constructor(private readonly options: IgnoreGateOptions) {}

  /** Writes the default rules (mode 0600) when the home file is absent. True when it wrote. */
  seed(): boolean {
    if (existsSync(this.options.homeFile)) return false;
    writePrivateFile(this.options.homeFile, DEFAULT_IGNORE_FILE);
    this.options.onReload?.({ file: this.options.homeFile, rules: parseRules(DEFAULT_IGNORE_FILE).length, seeded: true });
    return true;
  }

  /** The home rules in force now (re-read if the file changed). */
  homeRules(): readonly string[] {
    return this.loadHome().rules;
  }

  /** Is there an installed package directory for this agent id? */
  agentInstalled(agentId: string): boolean {
    if (!AGENT_ID.test(agentId)) return false;
    try {
      return statSync(join(this.options.agentsDir, agentId)).isDirectory();
    } catch {
      return false;
    }
  }

  /**
   * Checks an intent's text. `agentId` is the agent the intent is routed to (null or absent:
   * home rules only). Home rules decide first; then the agent's applied rules.
   */
  check(text: string, agentId?: string | null): IgnoreVerdict {
    const home = this.loadHome();
    const agent = agentId ? this.loadAgent(agentId, home) : null;
    const candidates = extractCandidates(text);
    const refused = new Set(agent?.refused ?? []);
    let verdict: { rule: string; source: string; path: string } | null = null;

    for (const candidate of candidates) {
      const result = safeTest(home.matcher, candidate.path);
      if (result.ignored) {
        verdict ??= { rule: result.rule, source: 'home', path: candidate.path };
        // An agent negation matching a home-ignored path is an attempt to un-ignore it.
        for (const negation of agent?.negations ?? []) {
          if (safeIgnores(negation.positive, candidate.path)) refused.add(negation.rule);
        }
      }
    }
    if (!verdict && agent && agentId) {
      for (const candidate of candidates) {
        const result = safeTest(agent.matcher, candidate.path);
        if (result.ignored) {
          verdict = { rule: result.rule, source: `agent:${agentId}`, path: candidate.path };
          break;
        }
      }
    }
    const refusedList = (agent?.negations ?? []).map((n) => n.rule).filter((rule) => refused.has(rule));
    return {
      ignored: verdict !== null,
      matched_rule: verdict?.rule ?? null,
      source: verdict?.source ?? null,
      matched_path: verdict?.path ?? null,
      rules_loaded: home.rules.length + (agent?.applied.length ?? 0),
      refused_overrides: [...new Set(refusedList)],
    };
  }

  private loadHome(): LoadedFile {
    const file = this.options.homeFile;
    let key = fileKey(file);
    if (key === null) {
      // Deleted while running: fail safe, put the defaults back (an empty file disables the gate).
      this.seed();
      key = fileKey(file);
    }
    if (this.home && this.home.key === key) return this.home;
    const rules = readRules(file);
    this.home = { key: key ?? 'missing', rules, matcher: matcher(rules) };
    this.agents.clear(); // refusals depend on the home rules
    this.options.onReload?.({ file, rules: rules.length, seeded: false });
    return this.home;
  }

  private loadAgent(agentId: string, home: LoadedFile): AgentRules | null {
    // Not an agent id (so no installed package, and no path to build): home rules only. The
    // router refuses the unknown agent right after the gate.
    if (!AGENT_ID.test(agentId)) return null;
    const file = join(this.options.agentsDir, agentId, AGENT_IGNORE_FILE);
    const key = fileKey(file);
    if (key === null || key.startsWith('notfile:')) {
      this.agents.delete(agentId);
      return null;
    }
    const cached = this.agents.get(agentId);
    if (cached && cached.key === key) return cached;
    const rules = readRules(file);
    const homePositive = home.rules.filter((r) => !isNegation(r));
    const negations: AgentRules['negations'] = [];
    const refused: string[] = [];
    const applied: string[] = [];
    for (const rule of rules) {
      if (!isNegation(rule)) {
        applied.push(rule);
        continue;
      }
      const positive = matcher([positiveForm(rule)]);
      negations.push({ rule, positive });
      const overlaps =
        samplePaths(rule).some((p) => safeIgnores(home.matcher, p)) ||
        homePositive.some((h) => samplePaths(h).some((p) => safeIgnores(positive, p)));
      if (overlaps) refused.push(rule);
      else applied.push(rule);
    }
    const loaded: AgentRules = { key, applied, matcher: matcher(applied), negations, refused };
    this.agents.set(agentId, loaded);
    this.options.onReload?.({ file, rules: applied.length, seeded: false });
    return loaded;
  }
}

function safeTest(m: Ignore, path: string): { ignored: true; rule: string } | { ignored: false } {
  try {
    const result = m.test(path);
    if (result.ignored) return { ignored: true, rule: result.rule?.pattern ?? '(unknown rule)' };
  } catch {
    // a path `ignore` refuses to test cannot match
  }
  return { ignored: false };
}
