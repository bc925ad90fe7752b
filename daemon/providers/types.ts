// The provider adapter contract. An adapter is data (id, base URL, auth scheme, capabilities)
// plus either `wire: 'openai-chat'` with quirks (OpenAI-compatible upstreams) or a Wire: pure
// functions that translate the gateway's OpenAI-shaped request into the upstream's HTTP
// request, and the upstream's answer (JSON, byte stream, error) back into OpenAI shapes.
// Adapters never do I/O: daemon/upstream/ owns sockets, timeouts, aborts and retries, and
// applies the auth scheme. providers/index.ts is the registry naming every adapter.
import type { GatewayError } from '../../shared/errors.js';
import type { JsonObject, Operation, Usage } from '../pipeline/context.js';

/** A configured provider connection as adapters see it (built from config `providers[]`). */
export interface ProviderConnection {
  /** Connection id (`providers[].id`). */
  readonly id: string;
  /** Adapter id (`providers[].type`). */
  readonly type: string;
  /** Base URL without a trailing slash, e.g. https://api.openai.com/v1. */
  readonly baseUrl: string;
  /** Adapter-specific options (azure api_version/deployments, bedrock region, …). */
  readonly options: Readonly<Record<string, unknown>>;
  /** Resolved secrets by config key (`api_key`, …). Never logged. */
  readonly secrets: Readonly<Record<string, string>>;
}

/** One upstream call, as the wire functions see it. */
export interface WireCall {
  readonly op: Operation;
  /** OpenAI-shaped request body; `model` is already the upstream model. */
  readonly body: JsonObject;
  readonly upstreamModel: string;
  readonly stream: boolean;
  readonly connection: ProviderConnection;
}

/** The HTTP request parts a wire produces; the transport adds auth and sends it. */
export interface UpstreamHttpRequest {
  readonly method: 'POST' | 'GET';
  /** Path + query relative to the connection's base URL, starting with '/'. */
  path: string;
  headers: Readonly<Record<string, string>>;
  body: string | Uint8Array | null;
}

/** A non-streaming upstream answer translated to OpenAI's shape. */
export interface WireResponse {
  readonly body: JsonObject;
  readonly usage?: Usage;
}

/**
 * Turns the upstream's streamed bytes into OpenAI chunk objects (chat.completion.chunk /
 * text_completion). push() may be given any split of the bytes (inside a UTF-8 character,
 * between \r and \n) and returns the complete chunks so far; end() flushes. A failure the
 * upstream reports inside the stream is thrown as a GatewayError.
 */
export interface StreamDecoder {
  push(bytes: Uint8Array): JsonObject[];
  end(): JsonObject[];
  /** Usage seen in the stream so far (final chunk / usage events), if any. */
  usage(): Usage | undefined;
}

/** Pure translation functions for one upstream API family. No fetch, no globals. */
export interface Wire {
  readonly id: string;
  buildRequest(call: WireCall): UpstreamHttpRequest;
  /** `body` is the upstream's raw response text (parsed once, here). */
  parseResponse(body: string, call: WireCall): WireResponse;
  createStreamDecoder(call: WireCall): StreamDecoder;
  /** Upstream non-2xx answer → GatewayError (upstream_rejected with its status, or upstream_error). */
  mapError(status: number, body: string, headers: Readonly<Record<string, string>>, call: WireCall): GatewayError;
}

/** How the transport authenticates to the upstream. Missing secret = no header (keyless local servers). */
export type ProviderAuth =
  | { readonly kind: 'none' }
  /** `Authorization: Bearer <secrets[secret ?? 'api_key']>` */
  | { readonly kind: 'bearer'; readonly secret?: string }
  /** `<name>: <secrets[secret ?? 'api_key']>` (Azure `api-key`, Anthropic `x-api-key`). */
  | { readonly kind: 'header'; readonly name: string; readonly secret?: string }
  /** Request signing (SigV4, Google OAuth): may be async, gets the full URL. */
  | {
      readonly kind: 'sign';
      readonly sign: (request: UpstreamHttpRequest, url: URL, connection: ProviderConnection) => Promise<UpstreamHttpRequest>;
    };

export interface ProviderCapabilities {
  readonly chat: boolean;
  readonly completions: boolean;
  readonly embeddings: boolean;
  readonly streaming: boolean;
  readonly tools: boolean;
}

/**
 * Differences of an OpenAI-compatible upstream from OpenAI itself, as small pure hooks.
 * Everything not set behaves exactly like api.openai.com.
 */
export interface OpenAiQuirks {
  /** Path (+ query) for an operation; default /chat/completions, /completions, /embeddings. */
  readonly path?: (call: WireCall) => string;
  /** Rewrite the outgoing body (the default sends it as is). */
  readonly request?: (body: JsonObject, call: WireCall) => JsonObject;
  /** Rewrite a non-streaming answer. */
  readonly response?: (body: JsonObject, call: WireCall) => JsonObject;
  /** Rewrite or drop (return null) one stream chunk. */
  readonly streamChunk?: (chunk: JsonObject, call: WireCall) => JsonObject | null;
}

interface ProviderDefinitionBase {
  /** Adapter id, referenced by config `providers[].type`. */
  readonly id: string;
  readonly defaultBaseUrl: string;
  readonly auth: ProviderAuth;
  readonly capabilities: ProviderCapabilities;
}

export interface OpenAiCompatibleDefinition extends ProviderDefinitionBase {
  readonly wire: 'openai-chat';
  readonly quirks?: OpenAiQuirks;
}

export interface CustomWireDefinition extends ProviderDefinitionBase {
  readonly wire: Wire;
  readonly quirks?: undefined;
}

export type ProviderDefinition = OpenAiCompatibleDefinition | CustomWireDefinition;

/** Identity function that types an adapter definition (Portkey/TensorZero style). */
export function defineProvider<const T extends ProviderDefinition>(definition: T): T {
  return definition;
}

/** A definition with its wire resolved: what daemon/upstream/ calls. */
export interface ProviderAdapter {
  readonly id: string;
  readonly defaultBaseUrl: string;
  readonly auth: ProviderAuth;
  readonly capabilities: ProviderCapabilities;
  readonly wire: Wire;
}
