import { IpcClient, type WireMessage } from '../../src/ipc/client.js';
import { readOperatorToken } from '../harness/daemon.js';
import type { Rng } from '../harness/rng.js';
import type { Ledger } from './ledger.js';

/** What the load shares across its workers during one cycle. */
export interface LoadState {
  home: string;
  sock: string;
  ledger: Ledger;
  /** The operator token the newest acknowledged rotation minted (or the file's at start). */
  token: string;
  /** Peers this run added and saw acknowledged; revoke and grant targets. */
  peers: { token: string; pubkey: string; busy: boolean; revoked: boolean }[];
  stopping: boolean;
  /** Called after each acknowledged write; the cycle kills the daemon at its chosen count. */
  onAck(): void;
  sent: number;
  unanswered: number;
}

const OP_WEIGHTS = {
  memory_write: 30,
  intent: 12,
  capability_grant: 14,
  peer_add: 8,
  peer_revoke: 5,
  checkpoint: 6,
  flush: 4,
  rotate: 2,
} as const;
type Op = keyof typeof OP_WEIGHTS;

const TIERS = ['working', 'episodic', 'longterm'] as const;
const GRANT_ACTIONS = ['memory.read', 'memory.write', 'audit.read', 'tool.call.echo', 'intent.submit', 'chain.receipts'] as const;

/** One worker: its own connection, ops drawn from its own seeded stream until the cycle stops. */
export async function runWorker(state: LoadState, rng: Rng, label: string): Promise<void> {
  let client: IpcClient | null = null;
  let token = '';
  let serial = 0;
  while (!state.stopping) {
    if (!client) {
      const connected = await connect(state);
      if (!connected) {
        // A retry pause, not a wait for an event: the daemon is restarting its connections.
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      ({ client, token } = connected);
    }
    const op = rng.weighted(OP_WEIGHTS);
    serial += 1;
    const request = buildRequest(op, state, rng, `${label} n${serial}`);
    if (!request) continue;
    state.sent += 1;
    let reply: WireMessage;
    try {
      reply = await client.request(request.message);
    } catch {
      // The kill, a rotation that closed this token's connections, or a revoke: unacknowledged.
      state.unanswered += 1;
      request.release?.();
      client.close();
      client = null;
      continue;
    }
    request.release?.();
    if (reply.kind === 'error') continue;
    if (request.acknowledge(reply, token)) state.onAck();
    if (op === 'rotate' && reply.kind === 'operator_token_rotated') {
      client.close();
      client = null;
    }
  }
  client?.close();
}

async function connect(state: LoadState): Promise<{ client: IpcClient; token: string } | null> {
  let client: IpcClient;
  try {
    client = await IpcClient.connect(state.sock, { timeoutMs: 60_000 });
  } catch {
    return null;
  }
  // The token may have been rotated by another worker since: the reply's, then the file's.
  for (const token of [state.token, readTokenFile(state.home)]) {
    if (state.stopping || token === null) break;
    try {
      await client.authenticate(token);
      return { client, token };
    } catch {
      client.close();
      try {
        client = await IpcClient.connect(state.sock, { timeoutMs: 60_000 });
      } catch {
        return null;
      }
    }
  }
  client.close();
  return null;
}

function readTokenFile(home: string): string | null {
  try {
    return readOperatorToken(home);
  } catch {
    return null;
  }
}

interface Request {
  message: WireMessage;
  /** Records the write in the ledger; false when the answer acknowledged nothing new. */
  acknowledge(reply: WireMessage, token: string): boolean;
  release?: () => void;
}

function buildRequest(op: Op, state: LoadState, rng: Rng, tag: string): Request | null {
  const { ledger } = state;
  switch (op) {
    case 'memory_write':
      return {
        message: { kind: 'memory_write', text: `torture ${tag} ${rng.int(0, 1e9)}`, tier: rng.pick(TIERS) },
        acknowledge(reply) {
          const record = reply.record as { id: string; receipt_id: string } | undefined;
          if (reply.kind !== 'memory_written' || !record) return false;
          ledger.memoryWrite(record.id, record.receipt_id);
          return true;
        },
      };
    case 'intent':
      return {
        message: { kind: 'submit_intent', text: `hello torture ${tag}`, agent: 'hello' },
        acknowledge(reply) {
          const settlement = reply.settlement as { receipt_id: string } | null | undefined;
          if (reply.kind !== 'intent_result' || reply.status !== 'ok' || !settlement) return false;
          ledger.intentReceipt(settlement.receipt_id);
          return true;
        },
      };
    case 'capability_grant': {
      const live = state.peers.filter((p) => !p.revoked && !p.busy);
      const to = live.length > 0 && rng.chance(0.6) ? rng.pick(live).pubkey : undefined;
      return {
        message: { kind: 'capabilities_grant', action: rng.pick(GRANT_ACTIONS), ...(to ? { to } : {}), expires_in_ms: 86_400_000 },
        acknowledge(reply) {
          if (reply.kind !== 'capability_granted') return false;
          ledger.capabilityGrant(String(reply.id), String(reply.signature_b58));
          return true;
        },
      };
    }
    case 'peer_add':
      return {
        message: { kind: 'peers_add', name: `t-${tag.replace(/[^a-z0-9]+/g, '-')}` },
        acknowledge(reply) {
          const agent = reply.agent_id as { pubkey: string } | undefined;
          if (reply.kind !== 'peer_added' || !agent) return false;
          ledger.peerAdd(String(reply.token_b58));
          state.peers.push({ token: String(reply.token_b58), pubkey: agent.pubkey, busy: false, revoked: false });
          return true;
        },
      };
    case 'peer_revoke': {
      const candidates = state.peers.filter((p) => !p.revoked && !p.busy);
      if (candidates.length === 0) return null;
      const peer = rng.pick(candidates);
      peer.busy = true;
      return {
        // The whole token as the prefix: exactly one match.
        message: { kind: 'peers_revoke', token_prefix: peer.token },
        acknowledge(reply) {
          const outcome = reply.outcome as { type: string } | undefined;
          if (reply.kind !== 'peer_revoke' || (outcome?.type !== 'revoked' && outcome?.type !== 'already_revoked')) return false;
          peer.revoked = true;
          ledger.peerRevoke(peer.token);
          return true;
        },
        release: () => {
          peer.busy = false;
        },
      };
    }
    case 'checkpoint':
      return {
        message: { kind: 'audit_checkpoint' },
        acknowledge(reply) {
          const checkpoint = reply.checkpoint as { seq: number; chain_hash: string } | null | undefined;
          if (reply.kind !== 'audit_checkpoint' || !checkpoint) return false;
          ledger.checkpoint(checkpoint.seq, checkpoint.chain_hash);
          return true;
        },
      };
    case 'flush':
      return {
        message: { kind: 'chain_flush', limit: 1000 },
        acknowledge(reply) {
          const batch = reply.batch as { batch_id: string; receipt_count: number } | undefined;
          if (reply.kind !== 'receipt_batch_flushed' || !batch) return false;
          ledger.receiptFlush(batch.batch_id, batch.receipt_count);
          return true;
        },
      };
    case 'rotate':
      return {
        message: { kind: 'peers_rotate' },
        acknowledge(reply, token) {
          if (reply.kind !== 'operator_token_rotated') return false;
          ledger.tokenRotation(token, String(reply.token_b58));
          state.token = String(reply.token_b58);
          return true;
        },
      };
  }
}
