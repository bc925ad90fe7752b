// api.openai.com: the reference behaviour of the openai-chat wire, no quirks.
import { defineProvider } from '../types.js';

export const openai = defineProvider({
  id: 'openai',
  wire: 'openai-chat',
  defaultBaseUrl: 'https://api.openai.com/v1',
  auth: { kind: 'bearer' },
  capabilities: { chat: true, completions: true, embeddings: true, streaming: true, tools: true },
});
