// Anthropic Messages API (api.anthropic.com/v1/messages). Auth: `x-api-key` from the
// connection's `api_key` secret. Options: `anthropic_version` (default 2023-06-01),
// `anthropic_beta` (sent as the anthropic-beta header), `default_max_tokens` (default 4096),
// `prompt_caching` ("auto", the default: cache breakpoints are placed; "off": none).
import { GatewayError } from '../../../shared/errors.js';
import { defineProvider, type Wire, type WireCall } from '../types.js';
import { asChatRequest } from '../openai-shapes.js';
import { toAnthropicRequest } from './request.js';
import { usesJsonTool } from '../json-tool.js';
import { fromAnthropicResponse } from './response.js';
import { AnthropicStreamDecoder } from './stream.js';
import { mapAnthropicError } from './errors.js';

const ANTHROPIC_VERSION = '2023-06-01';

function requireChat(call: WireCall): void {
  if (call.op !== 'chat') {
    throw new GatewayError('unsupported_feature', `anthropic does not offer ${call.op === 'embedding' ? 'embeddings' : 'legacy completions'}`);
  }
}

export const anthropicWire: Wire = {
  id: 'anthropic-messages',
  buildRequest(call) {
    requireChat(call);
    const options = call.connection.options;
    const defaultMaxTokens = typeof options['default_max_tokens'] === 'number' ? options['default_max_tokens'] : undefined;
    const promptCaching = options['prompt_caching'] !== 'off';
    const body = toAnthropicRequest(asChatRequest({ ...call.body, stream: call.stream }), call.upstreamModel, { defaultMaxTokens, promptCaching });
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'anthropic-version': typeof options['anthropic_version'] === 'string' ? options['anthropic_version'] : ANTHROPIC_VERSION,
    };
    if (typeof options['anthropic_beta'] === 'string') headers['anthropic-beta'] = options['anthropic_beta'];
    if (call.stream) headers['accept'] = 'text/event-stream';
    return { method: 'POST', path: '/messages', headers, body: JSON.stringify(body) };
  },
  parseResponse(body, call) {
    return fromAnthropicResponse(body, usesJsonTool(asChatRequest(call.body)));
  },
  createStreamDecoder(call) {
    return new AnthropicStreamDecoder(usesJsonTool(asChatRequest(call.body)), call.upstreamModel);
  },
  mapError(status, body, headers) {
    return mapAnthropicError(status, body, headers);
  },
};

export const anthropicProvider = defineProvider({
  id: 'anthropic',
  wire: anthropicWire,
  defaultBaseUrl: 'https://api.anthropic.com/v1',
  auth: { kind: 'header', name: 'x-api-key' },
  capabilities: { chat: true, completions: false, embeddings: false, streaming: true, tools: true },
});
