// The wire for OpenAI-compatible upstreams (OpenAI, Azure OpenAI, vLLM, Ollama, TGI, LM Studio):
// the gateway's hub format IS this wire, so requests go out as they came in (model replaced)
// and answers come back as they are, except where a provider's quirks say otherwise.
import { GatewayError } from '../../../shared/errors.js';
import type { JsonObject, Operation, Usage } from '../../pipeline/context.js';
import { jsonBody } from '../../pipeline/json-bytes.js';
import { rememberVerbatim } from '../../pipeline/verbatim-json.js';
import { SseDecoder } from '../../upstream/sse-decoder.js';
import type { OpenAiQuirks, StreamDecoder, UpstreamHttpRequest, Wire, WireCall } from '../types.js';

const DEFAULT_PATHS: Readonly<Record<Operation, string>> = {
  chat: '/chat/completions',
  completion: '/completions',
  embedding: '/embeddings',
};

// Shared by every request (no copy per request): nothing downstream mutates a built request's
// headers (sendToUpstream and the signing adapters copy them), and frozen, a mutation would throw.
const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'content-type': 'application/json', accept: 'application/json' });
const STREAM_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'content-type': 'application/json', accept: 'text/event-stream' });

/** Response headers worth passing to the client with an upstream 4xx (rate-limit hints). */
const PASSED_HEADERS = ['retry-after', 'retry-after-ms', 'x-ratelimit-limit-requests', 'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-requests', 'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens'];

/** OpenAI usage → the gateway's Usage (null/absent → undefined). */
export function readOpenAiUsage(value: unknown): Usage | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const usage = value as Record<string, unknown>;
  const prompt = typeof usage.prompt_tokens === 'number' ? usage.prompt_tokens : 0;
  const completion = typeof usage.completion_tokens === 'number' ? usage.completion_tokens : 0;
  const total = typeof usage.total_tokens === 'number' ? usage.total_tokens : prompt + completion;
  // cache_write_tokens: OpenRouter's (and this gateway's) count of prompt tokens written to the cache.
  const details = usage.prompt_tokens_details as { cached_tokens?: unknown; cache_write_tokens?: unknown } | null | undefined;
  const result: Usage = { promptTokens: prompt, completionTokens: completion, totalTokens: total };
  if (typeof details?.cached_tokens === 'number') result.cachedTokens = details.cached_tokens;
  if (typeof details?.cache_write_tokens === 'number' && details.cache_write_tokens > 0) result.cacheWriteTokens = details.cache_write_tokens;
  return result;
}

/** The `error` object of an OpenAI-style error body, if the text is one. */
function readErrorObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (parsed !== null && typeof parsed === 'object' && parsed.error !== null && typeof parsed.error === 'object') {
      return parsed.error as Record<string, unknown>;
    }
    if (parsed !== null && typeof parsed === 'object' && typeof parsed.error === 'string') return { message: parsed.error };
  } catch {
    // not JSON: fall through to the raw text
  }
  return undefined;
}

/**
 * Upstream non-2xx → GatewayError. 4xx keeps the upstream status, message and param
 * (upstream_rejected), except 401/403: those mean the GATEWAY's provider key is wrong, not
 * the client's virtual key, so they become a 502 naming the provider. 5xx → 502.
 */
export function mapOpenAiError(status: number, text: string, headers: Readonly<Record<string, string>>, call: WireCall): GatewayError {
  const error = readErrorObject(text);
  const message = typeof error?.message === 'string' ? error.message : text.slice(0, 500) || `HTTP ${status}`;
  const provider = call.connection.id;
  if (status === 401 || status === 403) {
    return new GatewayError('upstream_error', `Upstream provider '${provider}' refused the gateway's credentials (${status}): ${message}`);
  }
  if (status < 500) {
    const passed: Record<string, string> = {};
    for (const name of PASSED_HEADERS) {
      const value = headers[name];
      if (value !== undefined) passed[name] = value;
    }
    const param = typeof error?.param === 'string' ? error.param : null;
    return new GatewayError('upstream_rejected', message, { status, param, headers: passed });
  }
  return new GatewayError('upstream_error', `Upstream provider '${provider}' failed (${status}): ${message}`);
}

function parseJson(text: string, provider: string): JsonObject {
  try {
    const value = JSON.parse(text) as unknown;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as JsonObject;
  } catch {
    // reported below
  }
  throw new GatewayError('upstream_error', `Upstream provider '${provider}' sent a response that is not a JSON object.`);
}

class OpenAiStreamDecoder implements StreamDecoder {
  readonly #sse = new SseDecoder();
  readonly #call: WireCall;
  readonly #quirks: OpenAiQuirks;
  #usage: Usage | undefined;
  /** An upstream error seen after good chunks of the same push: thrown on the next call. */
  #failed: GatewayError | undefined;

  constructor(call: WireCall, quirks: OpenAiQuirks) {
    this.#call = call;
    this.#quirks = quirks;
  }

  push(bytes: Uint8Array): JsonObject[] {
    if (this.#failed !== undefined) throw this.#failed;
    return this.#chunks(this.#sse.push(bytes));
  }

  end(): JsonObject[] {
    if (this.#failed !== undefined) throw this.#failed;
    return this.#chunks(this.#sse.end());
  }

  usage(): Usage | undefined {
    return this.#usage;
  }

  #chunks(events: readonly { event: string; data: string }[]): JsonObject[] {
    const out: JsonObject[] = [];
    for (const event of events) {
      if (event.data === '[DONE]') continue;
      const chunk = parseJson(event.data, this.#call.connection.id);
      // Errors inside a 200 stream (OpenRouter, vLLM): end the stream with the upstream's message.
      if (chunk.error !== undefined && chunk.error !== null) {
        const error = chunk.error as { message?: unknown } | string;
        const message = typeof error === 'string' ? error : typeof error?.message === 'string' ? error.message : 'stream error';
        const failure = new GatewayError('upstream_error', `Upstream provider '${this.#call.connection.id}' failed mid-stream: ${message}`);
        // Chunks before the error still reach the client; the error follows them.
        if (out.length === 0) throw failure;
        this.#failed = failure;
        break;
      }
      if (chunk.usage !== undefined && chunk.usage !== null) this.#usage = readOpenAiUsage(chunk.usage);
      if (this.#quirks.streamChunk === undefined) {
        // Unchanged: the client may get the upstream's own line (one-line data only: `data: <text>`).
        if (!event.data.includes('\n')) rememberVerbatim(chunk, event.data);
        out.push(chunk);
        continue;
      }
      const kept = this.#quirks.streamChunk(chunk, this.#call);
      if (kept !== null) out.push(kept);
    }
    return out;
  }
}

/** The openai-chat wire with one provider's quirks. */
export function createOpenAiCompatibleWire(quirks: OpenAiQuirks = {}): Wire {
  return {
    id: 'openai-chat',
    buildRequest(call): UpstreamHttpRequest {
      const body = quirks.request === undefined ? call.body : quirks.request(call.body, call);
      return {
        method: 'POST',
        path: quirks.path === undefined ? DEFAULT_PATHS[call.op] : quirks.path(call),
        headers: call.stream ? STREAM_HEADERS : JSON_HEADERS,
        body: jsonBody(body), // JSON.stringify's bytes without its garbage (json-bytes.ts)
      };
    },
    parseResponse(text, call) {
      const parsed = parseJson(text, call.connection.id);
      if (quirks.response === undefined) rememberVerbatim(parsed, text);
      const body = quirks.response === undefined ? parsed : quirks.response(parsed, call);
      return { body, usage: readOpenAiUsage(body.usage) };
    },
    createStreamDecoder: (call) => new OpenAiStreamDecoder(call, quirks),
    mapError: mapOpenAiError,
  };
}
