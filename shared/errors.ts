// The one catalogue of errors the gateway can answer with. Every error a client sees is a
// GatewayError with one of these codes; daemon/http/error-handler.ts turns it into OpenAI's
// shape {"error":{"message","type","param","code"}} (and the Anthropic shape on /v1/messages).
// Adding an error is one line here; nothing else builds error JSON by hand.

export type OpenAiErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'insufficient_quota'
  | 'server_error'
  | 'timeout_error';

export interface ErrorSpec {
  readonly status: number;
  readonly type: OpenAiErrorType;
}

export const ERROR_CATALOGUE = {
  // 400: the request itself is wrong
  invalid_json: { status: 400, type: 'invalid_request_error' },
  invalid_request: { status: 400, type: 'invalid_request_error' },
  unsupported_feature: { status: 400, type: 'invalid_request_error' },
  capability_missing: { status: 400, type: 'invalid_request_error' },
  pii_blocked: { status: 400, type: 'invalid_request_error' },
  // 401 / 403: who is asking, and may they
  invalid_api_key: { status: 401, type: 'authentication_error' },
  admin_token_required: { status: 401, type: 'authentication_error' },
  foreign_host: { status: 403, type: 'permission_error' },
  foreign_origin: { status: 403, type: 'permission_error' },
  model_not_allowed: { status: 403, type: 'permission_error' },
  policy_denied: { status: 403, type: 'permission_error' },
  // 404 / 405 / 413 / 415
  model_not_found: { status: 404, type: 'invalid_request_error' },
  route_not_found: { status: 404, type: 'not_found_error' },
  method_not_allowed: { status: 405, type: 'invalid_request_error' },
  body_too_large: { status: 413, type: 'invalid_request_error' },
  pii_scan_too_large: { status: 413, type: 'invalid_request_error' }, // more Japanese text than redaction.japanese_max_chars
  unsupported_media_type: { status: 415, type: 'invalid_request_error' },
  // 429: limits and budgets
  rate_limit_exceeded: { status: 429, type: 'rate_limit_error' },
  budget_exceeded: { status: 429, type: 'insufficient_quota' },
  // upstream trouble
  upstream_rejected: { status: 400, type: 'invalid_request_error' }, // upstream 4xx; status copied from upstream
  upstream_error: { status: 502, type: 'server_error' },
  upstream_unavailable: { status: 503, type: 'server_error' }, // no healthy target (breaker open, fail closed)
  upstream_timeout: { status: 504, type: 'timeout_error' },
  // ours
  keychain_unavailable: { status: 503, type: 'server_error' }, // OS keychain (Secret Service) not reachable or locked
  internal_error: { status: 500, type: 'server_error' },
  client_disconnected: { status: 499, type: 'invalid_request_error' }, // client went away; only audited, never sent
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export interface GatewayErrorOptions {
  /** The request field at fault, e.g. "messages[2].content". */
  param?: string | null;
  /** Overrides the catalogue status (used to pass an upstream 4xx status through). */
  status?: number;
  /** Extra response headers (retry-after, x-ratelimit-*). */
  headers?: Record<string, string>;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly type: OpenAiErrorType;
  readonly param: string | null;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = options.status ?? ERROR_CATALOGUE[code].status;
    this.type = ERROR_CATALOGUE[code].type;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
  }

  /** OpenAI's error body. */
  toOpenAiBody(): { error: { message: string; type: string; param: string | null; code: string } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError;
}
