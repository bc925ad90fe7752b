// Google Gemini on Vertex AI. Same generateContent body and answers as the Gemini API
// (the gemini/ translators), different URL and auth: OAuth2 service-account tokens (auth.ts).
// Options: `project` (required), `location` (default "global"), `key_file`, `safety_settings`,
// `token_url`. The default base URL is the global endpoint; for a regional location set
// base_url to https://<location>-aiplatform.googleapis.com/v1.
import { GatewayError } from '../../../shared/errors.js';
import { defineProvider, type Wire, type WireCall } from '../types.js';
import { chatMethod, geminiChatBody } from '../gemini/adapter.js';
import { fromGeminiResponse } from '../gemini/response.js';
import { GeminiStreamDecoder } from '../gemini/stream.js';
import { fromVertexPredictResponse, toVertexPredictRequest } from '../gemini/embeddings.js';
import { mapGoogleError } from '../gemini/errors.js';
import { signVertexRequest } from './auth.js';

function modelPath(call: WireCall): string {
  const project = call.connection.options['project'];
  if (typeof project !== 'string' || project === '') {
    throw new GatewayError('upstream_error', `vertex connection "${call.connection.id}" needs options.project`);
  }
  const location = typeof call.connection.options['location'] === 'string' ? call.connection.options['location'] : 'global';
  const model = call.upstreamModel.includes('/') ? call.upstreamModel : `publishers/google/models/${call.upstreamModel}`;
  return `/projects/${encodeURIComponent(project)}/locations/${encodeURIComponent(location)}/${model}`;
}

export const vertexWire: Wire = {
  id: 'vertex',
  buildRequest(call) {
    const headers = { 'content-type': 'application/json' };
    if (call.op === 'embedding') {
      return { method: 'POST', path: `${modelPath(call)}:predict`, headers, body: JSON.stringify(toVertexPredictRequest(call.body)) };
    }
    return { method: 'POST', path: `${modelPath(call)}${chatMethod(call)}`, headers, body: geminiChatBody(call, 'vertex') };
  },
  parseResponse(body, call) {
    return call.op === 'embedding' ? fromVertexPredictResponse(body, call.upstreamModel) : fromGeminiResponse(body, call.upstreamModel);
  },
  createStreamDecoder(call) {
    return new GeminiStreamDecoder('vertex', call.upstreamModel);
  },
  mapError(status, body, headers) {
    return mapGoogleError('vertex', status, body, headers);
  },
};

export const vertexProvider = defineProvider({
  id: 'vertex',
  wire: vertexWire,
  defaultBaseUrl: 'https://aiplatform.googleapis.com/v1',
  auth: { kind: 'sign', sign: signVertexRequest },
  capabilities: { chat: true, completions: false, embeddings: true, streaming: true, tools: true },
});
