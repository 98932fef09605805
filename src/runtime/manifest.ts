/**
 * `agent.toml`: the manifest every agent package carries (SPEC 12).
 *
 * Validation is strict: unknown sections and keys are errors, and every error message names
 * the manifest file and the field path (`agent.toml: resources.memory_mb: expected a positive
 * integer`) so the person installing the package knows what to fix.
 */
import { lstat, readFile, realpath, access, constants as fsConstants } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { z } from 'zod';
import { CovenantError } from '../core/index.js';
import { declaredEnvProblem } from './agent-env.js';
import type { AgentIntent, AgentRunRequest } from './runner.js';

/** Agent ids: lowercase, start with a letter, at most 63 characters. */
export const AGENT_ID_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
/** Capability actions: dotted paths such as `memory.read`, `tool.call.search`, `memory.repair.*`. */
export const ACTION_PATTERN = /^[a-z][a-z0-9_-]*(\.([A-Za-z0-9_@:-]+|\*))+$/;

type IssueInput = { input?: unknown };
/** Error text for a field: "is required" when absent, otherwise what was expected. */
const expect = (what: string) => (iss: IssueInput) =>
  iss.input === undefined ? 'is required' : `expected ${what}`;
const section = (iss: IssueInput) =>
  iss.input === undefined ? 'missing required section' : 'expected a table';

const positiveInt = (max: number) =>
  z
    .number({ error: expect('a positive integer') })
    .int({ error: 'expected a positive integer' })
    .positive({ error: 'expected a positive integer' })
    .max(max, { error: `expected a positive integer at most ${max}` });

const nonNegativeInt = z
  .number({ error: expect('a non-negative integer') })
  .int({ error: 'expected a non-negative integer' })
  .nonnegative({ error: 'expected a non-negative integer' });

const enumOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: expect(`one of ${values.map((v) => JSON.stringify(v)).join(', ')}`) });

const actionList = z
  .array(
    z
      .string({ error: expect('a string') })
      .regex(ACTION_PATTERN, { error: 'expected a dotted action such as "memory.read"' }),
    { error: expect('an array of dotted action strings') },
  )
  .max(256, { error: 'expected at most 256 actions' });

/** The entry must be a plain relative path that stays inside the package. */
const entrySchema = z
  .string({ error: expect('a relative file path') })
  .min(1, { error: 'expected a relative file path' })
  .max(1024, { error: 'expected a path of at most 1024 characters' })
  .refine((p) => !path.isAbsolute(p) && !path.win32.isAbsolute(p), { error: 'must be a relative path inside the package' })
  .refine((p) => !p.split(/[\\/]/).includes('..'), { error: 'must not contain ".." (it must stay inside the package)' })
  .refine((p) => !p.includes('\0'), { error: 'must not contain NUL characters' });

export const AgentSectionSchema = z.strictObject(
  {
    id: z
      .string({ error: expect('a string') })
      .regex(AGENT_ID_PATTERN, {
        error: 'expected lowercase letters, digits and "-", starting with a letter, at most 63 characters',
      }),
    name: z
      .string({ error: expect('a string') })
      .trim()
      .min(1, { error: 'must not be empty' })
      .max(128, { error: 'expected at most 128 characters' }),
    version: z
      .string({ error: expect('a version string such as "0.1.0"') })
      .regex(/^\d+(\.\d+){0,2}([-+][0-9A-Za-z.+-]+)?$/, { error: 'expected a version such as "0.1.0"' }),
    runtime: enumOf(['node', 'python3', 'bin'] as const),
    entry: entrySchema,
    description: z
      .string({ error: expect('a string') })
      .max(2000, { error: 'expected at most 2000 characters' })
      .optional(),
    /**
     * Host calls (SPEC 12): the agent may ask the daemon for model, memory and tool services over
     * its stdio; each call must be listed in [capabilities] and held by the intent's caller.
     */
    host_calls: z.boolean({ error: expect('true or false') }).default(false),
    /** Variables the agent receives from the daemon's environment (see agent-env.ts). */
    env: z
      .array(
        z.string({ error: expect('a variable name') }).superRefine((name, ctx) => {
          const problem = declaredEnvProblem(name);
          if (problem !== null) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(name.slice(0, 64))}: ${problem}` });
        }),
        { error: expect('an array of variable names') },
      )
      .max(32, { error: 'expected at most 32 variable names' })
      .default([]),
  },
  { error: section },
);

export const CapabilitiesSectionSchema = z
  .strictObject(
    {
      required: actionList.default([]),
      optional: actionList.default([]),
    },
    { error: expect('a table') },
  )
  .prefault({});

export const ResourcesSectionSchema = z
  .strictObject(
    {
      cpu_ms_per_task: positiveInt(24 * 60 * 60 * 1000).default(30_000),
      memory_mb: positiveInt(1024 * 1024).default(512),
      network: enumOf(['off', 'outbound-https-only', 'full'] as const).default('off'),
      warm: z.boolean({ error: expect('true or false') }).default(true),
    },
    { error: expect('a table') },
  )
  .prefault({});

export const SandboxSectionSchema = z
  .strictObject(
    {
      required: z.boolean({ error: expect('true or false') }).default(false),
      /** Absent: the daemon's default backend (`COVENANT_RUNTIME_BACKEND`, else linux-bwrap when bwrap is installed). */
      backend: enumOf(['trusted-local', 'linux-bwrap', 'linux-gvisor'] as const).optional(),
      /**
       * trusted-local under a root daemon runs the agent as nobody (65534); `true` keeps the
       * daemon's user (root) instead. Only meaningful for trusted-local.
       */
      run_as_daemon_user: z.boolean({ error: expect('true or false') }).default(false),
    },
    { error: expect('a table') },
  )
  .prefault({});

export const SettlementSectionSchema = z
  .strictObject(
    {
      /** 0 = no budget (unlimited). */
      budget_credits_per_hour: nonNegativeInt.default(0),
      priority: enumOf(['low', 'normal', 'high'] as const).default('normal'),
    },
    { error: expect('a table') },
  )
  .prefault({});

export const RouterSectionSchema = z
  .strictObject(
    {
      keywords: z
        .array(
          z
            .string({ error: expect('a string') })
            .trim()
            .min(1, { error: 'must not be empty' })
            .max(64, { error: 'expected at most 64 characters' }),
          { error: expect('an array of strings') },
        )
        .max(256, { error: 'expected at most 256 keywords' })
        .optional(),
    },
    { error: expect('a table') },
  )
  .prefault({});

export const AgentManifestSchema = z
  .strictObject({
    agent: AgentSectionSchema,
    capabilities: CapabilitiesSectionSchema,
    resources: ResourcesSectionSchema,
    sandbox: SandboxSectionSchema,
    settlement: SettlementSectionSchema,
    router: RouterSectionSchema,
  })
  .superRefine((m, ctx) => {
    // `sandbox.required = true` never falls back to an unsandboxed run (SPEC 12), so asking for
    // the unsandboxed backend at the same time is a contradiction, not a preference.
    if (m.sandbox.required && m.sandbox.backend === 'trusted-local') {
      ctx.addIssue({
        code: 'custom',
        path: ['sandbox', 'backend'],
        message: '"trusted-local" is not a sandbox; with sandbox.required = true use "linux-bwrap" or "linux-gvisor", or leave it unset',
      });
    }
    if (m.sandbox.run_as_daemon_user && (m.sandbox.required || (m.sandbox.backend !== undefined && m.sandbox.backend !== 'trusted-local'))) {
      ctx.addIssue({
        code: 'custom',
        path: ['sandbox', 'run_as_daemon_user'],
        message: 'only applies to the "trusted-local" backend; remove it, or set sandbox.backend = "trusted-local" and sandbox.required = false',
      });
    }
  });

export type AgentManifest = z.output<typeof AgentManifestSchema>;
export type AgentRuntimeKind = AgentManifest['agent']['runtime'];

export interface AgentPackage {
  manifest: AgentManifest;
  /** Absolute, symlink-resolved package directory. */
  dir: string;
}

function formatPath(p: readonly PropertyKey[]): string {
  let out = '';
  for (const key of p) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** One line per problem: `<file>: <field.path>: <what is wrong>`. */
function formatIssues(sourcePath: string, issues: readonly z.core.$ZodIssue[]): string {
  const lines: string[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        lines.push(`${sourcePath}: ${formatPath([...issue.path, key])}: unknown key`);
      }
    } else {
      const where = issue.path.length > 0 ? formatPath(issue.path) : '(top level)';
      lines.push(`${sourcePath}: ${where}: ${issue.message}`);
    }
  }
  return lines.join('; ');
}

/**
 * Parses and validates manifest text. `sourcePath` is only used in error messages.
 * Throws `CovenantError('E_BAD_REQUEST')` naming the file and the field (or line/column for
 * TOML syntax errors).
 */
export function parseManifest(tomlText: string, sourcePath: string): AgentManifest {
  let raw: unknown;
  try {
    raw = parseToml(tomlText);
  } catch (err) {
    if (err instanceof TomlError) {
      const firstLine = (err.message.split('\n')[0] ?? '').replace(/^Invalid TOML document:\s*/, '');
      throw new CovenantError(
        'E_BAD_REQUEST',
        `${sourcePath}: line ${err.line}, column ${err.column}: invalid TOML: ${firstLine || 'syntax error'}`,
      );
    }
    throw new CovenantError('E_BAD_REQUEST', `${sourcePath}: invalid TOML: ${(err as Error).message}`);
  }
  const result = AgentManifestSchema.safeParse(raw);
  if (!result.success) {
    throw new CovenantError('E_BAD_REQUEST', formatIssues(sourcePath, result.error.issues));
  }
  return result.data;
}

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

/**
 * Reads `<dir>/agent.toml`, validates it and checks that the entry file is a regular file
 * inside the package (symlinks are followed only while they stay inside the package; a `bin`
 * entry must be executable). Returns the manifest and the resolved package directory.
 */
export async function loadAgentPackage(dir: string): Promise<AgentPackage> {
  let root: string;
  try {
    root = await realpath(path.resolve(dir));
  } catch {
    throw new CovenantError('E_BAD_REQUEST', `${dir}: agent package directory not found`);
  }
  const rootStat = await lstat(root);
  if (!rootStat.isDirectory()) {
    throw new CovenantError('E_BAD_REQUEST', `${dir}: agent package must be a directory`);
  }

  const manifestPath = path.join(root, 'agent.toml');
  let text: string;
  try {
    const st = await lstat(manifestPath);
    if (!st.isFile()) throw new Error('not a regular file');
    text = await readFile(manifestPath, 'utf8');
  } catch {
    throw new CovenantError('E_BAD_REQUEST', `${manifestPath}: missing agent.toml (expected a regular file)`);
  }
  const manifest = parseManifest(text, manifestPath);

  const entry = manifest.agent.entry;
  const entryPath = path.resolve(root, entry);
  const fail = (why: string) => new CovenantError('E_BAD_REQUEST', `${manifestPath}: agent.entry: ${why}`);
  if (!isInside(root, entryPath)) throw fail(`"${entry}" escapes the package directory`);
  let realEntry: string;
  try {
    realEntry = await realpath(entryPath);
  } catch {
    throw fail(`"${entry}" does not exist in the package`);
  }
  if (!isInside(root, realEntry)) throw fail(`"${entry}" resolves (through a symlink) outside the package directory`);
  const entryStat = await lstat(realEntry);
  if (!entryStat.isFile()) throw fail(`"${entry}" is not a regular file`);
  if (manifest.agent.runtime === 'bin') {
    try {
      await access(realEntry, fsConstants.X_OK);
    } catch {
      throw fail(`"${entry}" is not executable (runtime "bin" needs an executable entry)`);
    }
  }
  return { manifest, dir: root };
}

/**
 * Builds the runner request for one intent from a loaded package: timeout from
 * `resources.cpu_ms_per_task`, memory from `resources.memory_mb`.
 */
export function runRequestFor(
  pkg: AgentPackage,
  intent: AgentIntent,
  extra: { env?: Record<string, string>; signal?: AbortSignal; timeoutMs?: number } = {},
): AgentRunRequest {
  const m = pkg.manifest;
  const req: AgentRunRequest = {
    agentId: m.agent.id,
    packageDir: pkg.dir,
    runtime: m.agent.runtime,
    entry: m.agent.entry,
    intent,
    timeoutMs: extra.timeoutMs ?? m.resources.cpu_ms_per_task,
    memoryMb: m.resources.memory_mb,
  };
  if (extra.env) req.env = extra.env;
  if (extra.signal) req.signal = extra.signal;
  return req;
}
