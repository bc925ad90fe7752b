// The contract every pipeline stage shares: what a request carries through the gateway
// (RequestContext), what comes back (Outcome) and the shape of a stage (an onion layer,
// hono's compose / undici's interceptors). The order of stages lives in pipeline/index.ts.
//
// The hub format is OpenAI's: every inbound surface (OpenAI chat, legacy completions,
// embeddings, Anthropic Messages, Responses) is translated into a GatewayRequest before the
// pipeline runs, and every provider adapter translates from it and back to OpenAI-shaped
// results. Stages therefore only ever look at one shape.

import type { GatewayError } from '../../shared/errors.js';

/** Which inbound API surface the request arrived on (decides the response framing). */
export type InboundApi =
  | 'openai.chat'
  | 'openai.completions'
  | 'openai.embeddings'
  | 'openai.responses'
  | 'anthropic.messages';

/** The operation an upstream is asked to perform. */
export type Operation = 'chat' | 'completion' | 'embedding';

/** An OpenAI-shaped JSON object; fields the gateway does not know pass through untouched. */
export type JsonObject = Record<string, unknown>;

export interface GatewayRequest {
  readonly op: Operation;
  /** OpenAI request body (chat.completions / completions / embeddings). Stages may replace it. */
  body: JsonObject & { model: string; stream?: boolean };
}

/** Who is calling, set by the authenticate stage from the virtual key. */
export interface Principal {
  readonly keyId: string;
  readonly tenant: string;
  readonly user: string;
  readonly role: string | null;
  /** Models (aliases) this key may use; null = any. */
  readonly models: readonly string[] | null;
}

/** One place a request can be sent: a configured provider connection plus an upstream model. */
export interface Target {
  /** Endpoint name (policy) or model alias (config) that produced this target. */
  readonly endpoint: string;
  /** Provider connection id from the config (`providers[].id`). */
  readonly provider: string;
  readonly upstreamModel: string;
}

/** Token usage in OpenAI's terms, normalised by the adapter. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cachedTokens?: number;
  /** Prompt tokens written to the provider's prompt cache (Anthropic, Bedrock); part of promptTokens. */
  cacheWriteTokens?: number;
  /** The upstream reported no usage: counted by the gateway's tokenizer (forwardUpstream). */
  estimated?: boolean;
}

/** A non-streaming answer (OpenAI-shaped body) or an error already mapped to a GatewayError. */
export interface JsonOutcome {
  readonly kind: 'json';
  status: number;
  body: JsonObject;
}

/**
 * A streaming answer: OpenAI-shaped chunk objects (chat.completion.chunk / text_completion).
 * The inbound route frames them (`data: …\n\n` + `data: [DONE]`, or Anthropic/Responses
 * events). Stages that need to see or change the stream wrap `events` in a new async
 * iterable; the iterable ends when the upstream stream ends, and throws a GatewayError if
 * the upstream fails mid-stream.
 */
export interface StreamOutcome {
  readonly kind: 'stream';
  status: number;
  events: AsyncIterable<JsonObject>;
}

export type Outcome = JsonOutcome | StreamOutcome;

/** Everything known about one request as it moves through the stages. */
export interface RequestContext {
  readonly traceId: string;
  /** W3C traceparent this gateway sends upstream and returns (same trace id, own span id). */
  readonly traceparent: string;
  /** performance.now() when the request arrived. */
  readonly receivedAt: number;
  /** Date.now() when the request arrived. */
  readonly startedAt: number;
  readonly api: InboundApi;
  request: GatewayRequest;
  /** Request headers as the client sent them (lower-case names). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Aborted when the client goes away: upstream calls must stop. */
  readonly signal: AbortSignal;

  /** Set by authenticate. */
  principal?: Principal;
  /** Data classes the request carries (e.g. "pii-restricted"), from redaction and headers. */
  readonly dataClasses: Set<string>;
  /** Ordered targets: the first is tried first, the rest are fallbacks (set by selectRoute). */
  candidates: Target[];
  /** The target that produced the outcome (set by forwardUpstream). */
  target?: Target;
  usage?: Usage;
  costUsd?: number;
  /** Time spent waiting for the upstream (ms), set by forwardUpstream. */
  upstreamMs?: number;
  /** Headers stages want on the response (x-ratelimit-*, x-kagami-*). */
  readonly responseHeaders: Record<string, string>;
  /**
   * Free-form facts stages record for the audit row (matched rule, redaction counts,
   * fallbacks tried, cache hit, …). Keys are owned by the stage that writes them.
   */
  readonly annotations: Record<string, unknown>;
  /** The error that ended the request, if any (set by recordAudit when it sees one). */
  error?: GatewayError;
}

/** One pipeline stage: do work, call next() (or not), and may wrap what next() returns. */
export type Stage = (ctx: RequestContext, next: () => Promise<Outcome>) => Promise<Outcome>;
