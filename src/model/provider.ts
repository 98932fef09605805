/**
 * What a model provider offers the daemon (SPEC 16): chat and embeddings, cancellable, with the
 * tokens used. Failures are CovenantErrors with the E_MODEL_* codes of src/core/errors.ts.
 */
import { z } from 'zod';

export const ChatMessageSchema = z.strictObject({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string().max(1024 * 1024),
});
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

export interface ChatRequest {
  messages: ChatMessage[];
  maxTokens: number;
}

export interface TokenCount {
  prompt: number;
  completion: number;
}

export interface ChatAnswer {
  text: string;
  model: string;
  tokens: TokenCount;
}

export interface EmbedAnswer {
  model: string;
  vectors: number[][];
  tokens: number;
}

export interface ModelProvider {
  readonly name: 'ollama' | 'llama-cpp';
  chat(request: ChatRequest, signal: AbortSignal): Promise<ChatAnswer>;
  embed(input: string[], signal: AbortSignal): Promise<EmbedAnswer>;
  /** Releases what the provider holds (the llama-cpp child process). */
  close(): Promise<void>;
}
