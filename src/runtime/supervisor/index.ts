/** The one process supervisor and the interface its backends implement. */
export {
  AgentSupervisor,
  DEFAULT_KILL_GRACE_MS,
  DEFAULT_MAX_STDOUT_BYTES,
  EARLY_ANSWER_SCAN_BYTES,
  DEFAULT_MAX_STDERR_BYTES,
  type SupervisorOptions,
  type SupervisedRunner,
} from './supervisor.js';
export { LaunchRefused, type SupervisorBackend, type Planned, type Prepared, type Failure, type ExitFacts } from './backend.js';
export type { ControlCommand, OrphanStop, SpawnSpec } from './agent-process.js';
export { runControl } from './control-command.js';
export { ProcessLauncher } from './launcher.js';
export { sanitize, summarizeStderr } from './failure-text.js';
export {
  parseAnswer,
  classifyAgentLine,
  HostCallSchema,
  HostReplySchema,
  MAX_HOST_CALLS_PER_INTENT,
  type HostCallSession,
  type HostCallOutcome,
  type HostCallError,
  type AgentAnswer,
  type AgentLine,
  type HostCall,
  type HostReply,
} from './stdio-protocol.js';
