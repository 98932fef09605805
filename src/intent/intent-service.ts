import { createHash } from 'node:crypto';
import { newId, type Clock } from '../core/index.js';
import type { AuditLog } from '../audit/index.js';
import type { AgentId } from '../identity/index.js';
import type { Db } from '../store/index.js';
import { echoAnswer } from './echo.js';

export interface IntentRequest {
  caller: AgentId;
  text: string;
  agent?: string;
}

export interface IntentOutcome {
  intent_id: string;
  status: 'ok' | 'ignored' | 'failed' | 'paused';
  agent: string | null;
  text: string;
  sources: string[];
  settlement: { receipt_id: string; resource: string; status: string; credits_consumed: number } | null;
}

/** The dispatch pipeline. With no agent installed every intent gets the echo answer. */
export class IntentService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  async submit(request: IntentRequest): Promise<IntentOutcome> {
    const intentId = newId();
    const text = echoAnswer(request.text);
    this.audit.append(request.caller, 'intent_echoed', {
      intent_id: intentId,
      text_bytes: Buffer.byteLength(request.text),
      text_sha256: createHash('sha256').update(request.text).digest('hex'),
    });
    return { intent_id: intentId, status: 'ok', agent: null, text, sources: [], settlement: null };
  }
}
