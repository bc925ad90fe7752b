// Hugging Face Text Generation Inference: the Messages API at /v1/chat/completions (and
// /v1/completions); no embeddings (that is TEI, a separate server).
import { defineProvider } from '../types.js';

export const tgi = defineProvider({
  id: 'tgi',
  wire: 'openai-chat',
  defaultBaseUrl: 'http://127.0.0.1:8080/v1',
  auth: { kind: 'bearer' },
  capabilities: { chat: true, completions: true, embeddings: false, streaming: true, tools: true },
});
