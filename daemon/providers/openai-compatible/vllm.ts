// vLLM's OpenAI-compatible server (`vllm serve`): OpenAI's paths under /v1, legacy
// completions included; usually keyless on-prem (a key is sent only when configured).
import { defineProvider } from '../types.js';

export const vllm = defineProvider({
  id: 'vllm',
  wire: 'openai-chat',
  defaultBaseUrl: 'http://127.0.0.1:8000/v1',
  auth: { kind: 'bearer' },
  capabilities: { chat: true, completions: true, embeddings: true, streaming: true, tools: true },
});
