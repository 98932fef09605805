/** Local model (SPEC 16): config, the Ollama and llama-cpp providers, and the GGUF reader. */
export { ModelService } from './model-service.js';
export { readModelConfig, ModelConfigSchema, DEFAULT_OLLAMA_ENDPOINT, MODEL_PROVIDERS, type ModelConfig } from './config.js';
export { OllamaProvider, type OllamaOptions } from './ollama.js';
export { LlamaCppProvider, type LlamaCppOptions } from './llama-cpp.js';
export { readGguf, type GgufInfo } from './gguf.js';
export { ChatMessageSchema, type ChatMessage, type ChatAnswer, type EmbedAnswer, type ModelProvider, type TokenCount } from './provider.js';
export { modelMemoryEmbedder } from './memory-embedder.js';
