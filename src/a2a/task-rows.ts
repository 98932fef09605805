import type { A2aContent, A2aTask, A2aTaskState } from '../protocol/index.js';

/** A task as `a2a_tasks` stores it. */
export interface TaskRow {
  id: string;
  sender_display: string;
  sender_pubkey: string;
  sender_transport: 'ipc' | 'http';
  recipient: string;
  recipient_kind: 'peer' | 'agent' | 'remote';
  recipient_key: string;
  intent_text: string;
  task_kind: string | null;
  parent: string | null;
  deadline_ms: number | null;
  idempotency_key: string | null;
  created_at: number;
  state: A2aTaskState;
  lease_id: string | null;
  leased_to: string | null;
  leased_at_ms: number | null;
  attempt: number;
  receipt_id: string | null;
  result_status: 'ok' | 'error' | 'partial' | null;
  result_content: string | null;
  error_message: string | null;
  completed_at: number | null;
  drained_at: number | null;
  updated_at: number;
}

/** A task as the wire shows it. */
export function taskView(row: TaskRow): A2aTask {
  return {
    id: row.id,
    sender: { display: row.sender_display, pubkey: row.sender_pubkey },
    recipient: row.recipient,
    recipient_kind: row.recipient_kind,
    intent_text: row.intent_text,
    task_kind: row.task_kind,
    parent: row.parent,
    deadline_ms: row.deadline_ms,
    idempotency_key: row.idempotency_key,
    created_at: row.created_at,
    state: row.state,
    lease_id: row.lease_id,
    leased_to: row.leased_to,
    leased_at_ms: row.leased_at_ms,
    attempt: row.attempt,
    result:
      row.result_status === null || row.completed_at === null
        ? null
        : {
            task_id: row.id,
            status: row.result_status,
            content: JSON.parse(row.result_content ?? '[]') as A2aContent[],
            error_message: row.error_message,
            completed_at: row.completed_at,
          },
  };
}
