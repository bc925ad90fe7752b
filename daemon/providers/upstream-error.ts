// One rule for turning an upstream's HTTP error into the GatewayError a client sees, shared by
// the anthropic, bedrock and gemini wires (each extracts its own message first):
// - 4xx the client caused (bad request, unknown model, too large) pass through with their status;
// - 429 stays 429 with the upstream's retry-after;
// - 401/403 mean the gateway's provider credentials are wrong: a 502, not the caller's fault;
// - everything else is a 502 upstream_error (the router may fall back).
import { GatewayError } from '../../shared/errors.js';

export function upstreamHttpError(
  provider: string,
  status: number,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): GatewayError {
  const text = `${provider}: ${message}`;
  if (status === 429) {
    const retryAfter = headers['retry-after'];
    return new GatewayError('rate_limit_exceeded', text, {
      status: 429,
      headers: retryAfter === undefined ? {} : { 'retry-after': retryAfter },
    });
  }
  if (status === 401 || status === 403) {
    return new GatewayError('upstream_error', `${provider} rejected the gateway's credentials (${status}): ${message}`);
  }
  if (status >= 400 && status < 500) return new GatewayError('upstream_rejected', text, { status });
  return new GatewayError('upstream_error', `${text} (upstream status ${status})`);
}

/** Parses an error body that may not be JSON (proxies answer HTML); never throws. */
export function parseErrorJson(body: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A short, single-line excerpt of a non-JSON error body for the message. */
export function excerpt(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat === '' ? 'empty error body' : flat;
}
