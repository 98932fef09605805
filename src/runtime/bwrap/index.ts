/** The linux-bwrap backend: the bubblewrap command line and the host facts it needs. */
export {
  bwrapArgs,
  bwrapCommand,
  bwrapEnv,
  BWRAP_WORKSPACE,
  BWRAP_PATH,
  BWRAP_UID,
  BWRAP_GID,
  BWRAP_NETWORK_ETC,
  BWRAP_INSTALL_FIX,
  DEFAULT_BWRAP_TMPFS_MB,
  type BwrapHost,
  type RootEntry,
} from './command.js';
export { locateBwrap, hostRootEntries, detectBwrapHost } from './host.js';
export { probeBwrap } from './probe.js';
export { createBwrapRunner } from './runner.js';
