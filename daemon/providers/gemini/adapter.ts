// Google Gemini through the Generative Language API (generativelanguage.googleapis.com/v1beta).
// Auth: `x-goog-api-key` from the connection's `api_key` secret. Options: `safety_settings`
// (sent as safetySettings, Gemini's own shape). Chat, streaming (alt=sse) and embeddings.
import { defineProvider, type Wire, type WireCall } from '../types.js';
import { GatewayError } from '../../../shared/errors.js';
import { asChatRequest } from '../openai-shapes.js';
import { toGeminiRequest } from './request.js';
import { fromGeminiResponse } from './response.js';
import { GeminiStreamDecoder } from './stream.js';
import { fromGeminiEmbedResponse, toGeminiEmbedRequest } from './embeddings.js';
import { mapGoogleError } from './errors.js';

/** The generateContent body for a chat call (shared with Vertex AI). */
export function geminiChatBody(call: WireCall, provider: string): string {
  if (call.op === 'completion') {
    throw new GatewayError('unsupported_feature', `${provider} does not offer legacy completions; use /v1/chat/completions`);
  }
  return JSON.stringify(toGeminiRequest(asChatRequest(call.body), { safetySettings: call.connection.options['safety_settings'] }));
}

export function chatMethod(call: WireCall): string {
  return call.stream ? ':streamGenerateContent?alt=sse' : ':generateContent';
}

export const geminiWire: Wire = {
  id: 'gemini',
  buildRequest(call) {
    const headers = { 'content-type': 'application/json' };
    const model = encodeURIComponent(call.upstreamModel);
    if (call.op === 'embedding') {
      return { method: 'POST', path: `/models/${model}:batchEmbedContents`, headers, body: JSON.stringify(toGeminiEmbedRequest(call.body, call.upstreamModel)) };
    }
    return { method: 'POST', path: `/models/${model}${chatMethod(call)}`, headers, body: geminiChatBody(call, 'gemini') };
  },
  parseResponse(body, call) {
    return call.op === 'embedding' ? fromGeminiEmbedResponse(body, call.upstreamModel) : fromGeminiResponse(body, call.upstreamModel);
  },
  createStreamDecoder(call) {
    return new GeminiStreamDecoder('gemini', call.upstreamModel);
  },
  mapError(status, body, headers) {
    return mapGoogleError('gemini', status, body, headers);
  },
};

export const geminiProvider = defineProvider({
  id: 'gemini',
  wire: geminiWire,
  defaultBaseUrl: 'https://generativelanguage.googleapis.com/v1beta',
  auth: { kind: 'header', name: 'x-goog-api-key' },
  capabilities: { chat: true, completions: false, embeddings: true, streaming: true, tools: true },
});
