// Kept free of zod: the CLI's fast paths and the socket client import this file directly.
export const PROTOCOL_NAME = 'covenant.ipc';
export const PROTOCOL_VERSION = 1;
export const MIN_SUPPORTED_VERSION = 1;
export const MAX_SUPPORTED_VERSION = 1;

/** What a settlement receipt pays for, and how the paid event ended (SPEC 15). */
export const RECEIPT_RESOURCES = ['compute', 'memory', 'tool', 'message'] as const;
export type ReceiptResource = (typeof RECEIPT_RESOURCES)[number];
export const RECEIPT_STATUSES = ['ok', 'failed'] as const;
export type ReceiptStatus = (typeof RECEIPT_STATUSES)[number];

/** The targeted repairs `covenant memory repair <action>` (request `memory_repair`) performs. */
export const REPAIR_ACTIONS = ['detach-parent', 'delete', 'backfill-receipt', 'backfill-audit'] as const;
export type RepairAction = (typeof REPAIR_ACTIONS)[number];
export const DEFAULT_VERIFY_WINDOW = 100;
export const MAX_VERIFY_WINDOW = 100_000;
/** The longest reason a repair records. */
export const MAX_REPAIR_REASON = 1000;

/** The largest frame (and HTTP body or response) either side accepts. */
export const MAX_FRAME_BYTES = 8 * 1024 * 1024;
/** Frames a client may send before it has authenticated (`authenticate` is a few hundred bytes). */
export const PRE_AUTH_MAX_FRAME_BYTES = 64 * 1024;

export interface ProtocolInfo {
  protocol: string;
  version: number;
  min_supported: number;
  max_supported: number;
  daemon_version: string;
}

/** The largest file `memory_import` accepts, in UTF-8 bytes (the CLI refuses bigger ones before sending). */
export const MAX_IMPORT_FILE_BYTES = 2 * 1024 * 1024;

/** The A2A mailbox (SPEC 10): task states, result statuses and the bounds of its requests. */
export const A2A_TASK_STATES = ['queued', 'in_flight', 'result_pending', 'done', 'canceled'] as const;
export const A2A_RESULT_STATUSES = ['ok', 'error', 'partial'] as const;
/** The longest `--wait-ms` of a long poll (the CLI's socket timeout is 120 s). */
export const A2A_MAX_WAIT_MS = 60_000;
/** The most tasks a listing or a drain answers. */
export const A2A_MAX_LIMIT = 500;
