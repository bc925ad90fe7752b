// LM Studio's local server (OpenAI-compatible, port 1234); keyless.
import { defineProvider } from '../types.js';

export const lmstudio = defineProvider({
  id: 'lmstudio',
  wire: 'openai-chat',
  defaultBaseUrl: 'http://127.0.0.1:1234/v1',
  auth: { kind: 'bearer' },
  capabilities: { chat: true, completions: true, embeddings: true, streaming: true, tools: true },
});
