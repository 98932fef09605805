/**
 * Covenant refusals as JSON-RPC errors of the public A2A endpoint. The JSON-RPC code is the A2A
 * one where the protocol has it (task not found, not cancelable, invalid params, internal); a
 * refusal the protocol has no code for (a missing capability, a budget, a full disk) answers
 * COVENANT_REFUSED. The message always starts with the stable Covenant code (`E_...: `), and
 * v0.3 answers also carry it as `data.covenant_code`.
 */
import { A2AError, JsonRpcTransportError } from '@a2a-js/sdk/errors';
import { CovenantError, type ErrorCode } from '../../core/index.js';

/** A JSON-RPC server error code (implementation-defined range) for Covenant's own refusals. */
export const COVENANT_REFUSED = -32050;

const A2A_CODES: Partial<Record<ErrorCode, number>> = {
  E_BAD_REQUEST: -32602,
  E_INVALID_JSON: -32700,
  E_AMBIGUOUS: -32602,
  E_INTERNAL: -32603,
};

/** The JSON-RPC code of a Covenant refusal; `taskScoped`: E_NOT_FOUND / E_CONFLICT are about the task named. */
function rpcCode(code: ErrorCode, taskScoped: boolean): number {
  if (code === 'E_NOT_FOUND') return taskScoped ? -32001 : -32602;
  if (code === 'E_CONFLICT' && taskScoped) return -32002;
  return A2A_CODES[code] ?? COVENANT_REFUSED;
}

/** The error the SDK's transport handlers answer for `refusal`. */
export function rpcError(refusal: CovenantError, taskScoped: boolean): A2AError {
  return new JsonRpcTransportError({
    jsonrpc: '2.0',
    id: null,
    error: { code: rpcCode(refusal.code, taskScoped), message: `${refusal.code}: ${refusal.message}`, data: { covenant_code: refusal.code } },
  });
}

/** The Covenant code an SDK-made JSON-RPC error stands for (for its audit row). */
export function covenantCodeOf(rpcErrorCode: number): ErrorCode {
  switch (rpcErrorCode) {
    case -32700:
      return 'E_INVALID_JSON';
    case -32601:
      return 'E_UNKNOWN_KIND';
    case -32001:
      return 'E_NOT_FOUND';
    case -32002:
      return 'E_CONFLICT';
    case -32603:
      return 'E_INTERNAL';
    default:
      return 'E_BAD_REQUEST';
  }
}
