/** The linux-gvisor backend: OCI bundles, the runsc-backed runner, and host readiness. */
export {
  GvisorRunner,
  DEFAULT_GVISOR_GRACE_MS,
  DEFAULT_GVISOR_STDOUT_CAP_BYTES,
  type GvisorRunnerOptions,
} from './gvisor-runner.js';
export {
  writeGvisorBundle,
  removeGvisorBundle,
  buildGvisorSpec,
  newGvisorRunId,
  sandboxArgs,
  sandboxEnv,
  sandboxEntryPath,
  GVISOR_SANDBOX_PATH,
  GVISOR_WORKSPACE,
  GVISOR_INTERPRETERS,
  GVISOR_STATE_DIRNAME,
  DEFAULT_SCRATCH_MB,
  type GvisorBundle,
  type GvisorBundleOptions,
  type OciSpec,
  type OciMount,
} from './bundle.js';
export {
  checkGvisorReadiness,
  inspectRootfs,
  locateRunsc,
  resolveInRootfs,
  checkKernel,
  runscVersion,
  RUNSC_INSTALL_FIX,
  type GvisorReadiness,
  type GvisorReadinessOptions,
  type RootfsInspection,
  type RunscLocation,
  type KernelCheck,
} from './readiness.js';
