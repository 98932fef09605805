/**
 * Messages between the llama-cpp provider (daemon side) and its child process (`llama-worker`),
 * over the child's IPC channel. One request at a time per id; `cancel` stops a generation.
 */
import type { ChatMessage, TokenCount } from './provider.js';

export interface WorkerSettings {
  modelPath: string;
  threads: number;
  contextSize: number;
}

export type WorkerRequest =
  | { op: 'chat'; id: number; messages: ChatMessage[]; maxTokens: number }
  | { op: 'embed'; id: number; input: string[] }
  | { op: 'cancel'; id: number };

export type WorkerReply =
  | { id: number; ok: true; text: string; tokens: TokenCount; firstTokenMs: number | null }
  | { id: number; ok: true; vectors: number[][]; tokens: number }
  | { id: number; ok: false; code: 'E_MODEL_UNAVAILABLE' | 'E_MODEL_FAILED'; message: string }
  /** Sent once the model is loaded (id 0), or why it could not be. */
  | { id: 0; ready: true }
  | { id: 0; ready: false; message: string };
