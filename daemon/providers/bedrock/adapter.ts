// AWS Bedrock through the Converse API (one request shape for every Bedrock model) and
// ConverseStream (binary event-stream). Auth: SigV4 or a Bedrock API key (auth.ts).
// Options: region, access_key_id / secret_access_key / session_token (SecretRefs), profile,
// credentials_file. The default base URL is us-east-1; for another region set
// base_url: https://bedrock-runtime.<region>.amazonaws.com.
import { GatewayError } from '../../../shared/errors.js';
import { defineProvider, type Wire, type WireCall } from '../types.js';
import { asChatRequest } from '../openai-shapes.js';
import { usesJsonTool } from '../json-tool.js';
import { toConverseRequest } from './request.js';
import { fromConverseResponse } from './response.js';
import { BedrockStreamDecoder } from './stream.js';
import { mapBedrockError } from './errors.js';
import { signBedrockRequest } from './auth.js';

function requireChat(call: WireCall): void {
  if (call.op !== 'chat') {
    throw new GatewayError('unsupported_feature', `the bedrock adapter serves chat only (Converse), not ${call.op === 'embedding' ? 'embeddings' : 'legacy completions'}`);
  }
}

export const bedrockWire: Wire = {
  id: 'bedrock-converse',
  buildRequest(call) {
    requireChat(call);
    const body = toConverseRequest(asChatRequest(call.body), call.upstreamModel);
    const path = `/model/${encodeURIComponent(call.upstreamModel)}/${call.stream ? 'converse-stream' : 'converse'}`;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (call.stream) headers['accept'] = 'application/vnd.amazon.eventstream';
    return { method: 'POST', path, headers, body: JSON.stringify(body) };
  },
  parseResponse(body, call) {
    return fromConverseResponse(body, call.upstreamModel, usesJsonTool(asChatRequest(call.body)));
  },
  createStreamDecoder(call) {
    return new BedrockStreamDecoder(call.upstreamModel, usesJsonTool(asChatRequest(call.body)));
  },
  mapError(status, body, headers) {
    return mapBedrockError(status, body, headers);
  },
};

export const bedrockProvider = defineProvider({
  id: 'bedrock',
  wire: bedrockWire,
  defaultBaseUrl: 'https://bedrock-runtime.us-east-1.amazonaws.com',
  auth: { kind: 'sign', sign: signBedrockRequest },
  capabilities: { chat: true, completions: false, embeddings: false, streaming: true, tools: true },
});
