/**
 * Runtime: agent manifests and packages, and the one process supervisor that runs agents
 * through its backends (trusted-local, linux-bwrap, linux-gvisor).
 * Other folders import only this file.
 */
export type {
  AgentIntent,
  AgentAnswer,
  AgentRunRequest,
  AgentFailureReason,
  AgentRunResult,
  AgentRunner,
  AgentLaunch,
} from './runner.js';
export {
  AGENT_ID_PATTERN,
  ACTION_PATTERN,
  AgentManifestSchema,
  parseManifest,
  loadAgentPackage,
  runRequestFor,
} from './manifest.js';
export type { AgentManifest, AgentRuntimeKind, AgentPackage } from './manifest.js';
export { parseAnswer, DEFAULT_KILL_GRACE_MS, DEFAULT_MAX_STDOUT_BYTES, DEFAULT_MAX_STDERR_BYTES, EARLY_ANSWER_SCAN_BYTES } from './supervisor/index.js';
export type { SupervisedRunner, HostCall, HostCallSession, HostCallOutcome, HostCallError } from './supervisor/index.js';
export { MAX_HOST_CALLS_PER_INTENT, ProcessLauncher } from './supervisor/index.js';
// The process-group primitives, shared with the MCP servers' transport (src/mcp).
export { signalGroup, waitGroupGone } from './supervisor/process-group.js';
export { TrustedLocalRunner, UNPRIVILEGED_UID, UNPRIVILEGED_GID, buildAgentEnv } from './local-runner.js';
export type { TrustedLocalRunnerOptions, LaunchProfile, SandboxLaunch, SandboxCommand } from './local-runner.js';
export { AGENT_PROTOCOL_VARS, declaredEnvProblem } from './agent-env.js';
export { createBwrapRunner, detectBwrapHost, locateBwrap, bwrapArgs, probeBwrap, type BwrapHost } from './bwrap/index.js';
export { checkGvisorReadiness } from './gvisor/index.js';
export {
  InstalledAgents,
  parseRuntimeBackend,
  selectDefaultBackend,
  shareInstalledTree,
  effectiveBackend,
  scanPackage,
  hashPackageTree,
  RUNTIME_BACKENDS,
  DEFAULT_RUNTIME_BACKEND,
  MAX_PACKAGE_FILES,
  MAX_PACKAGE_BYTES,
} from './installed-agents.js';
export type { InstalledAgent, InstallResult, RuntimeBackend, AgentLifecycleHooks, RuntimeLog } from './installed-agents.js';
export { RunnerPool, type RunnerPoolOptions } from './runner-pool.js';
export { openAgentRuntime, type AgentRuntime, type AgentRuntimeOptions } from './agent-runtime.js';
