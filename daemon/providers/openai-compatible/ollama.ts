// Ollama's OpenAI-compatible endpoints (/v1 on port 11434); keyless locally.
import { defineProvider } from '../types.js';

export const ollama = defineProvider({
  id: 'ollama',
  wire: 'openai-chat',
  defaultBaseUrl: 'http://127.0.0.1:11434/v1',
  auth: { kind: 'bearer' },
  capabilities: { chat: true, completions: true, embeddings: true, streaming: true, tools: true },
});
