// Anthropic error bodies ({"type":"error","error":{"type","message"}}) → GatewayError.
import type { GatewayError } from '../../../shared/errors.js';
import { excerpt, parseErrorJson, upstreamHttpError } from '../upstream-error.js';

export function errorFromBody(status: number, body: Record<string, unknown> | null, raw = '', headers: Readonly<Record<string, string>> = {}): GatewayError {
  const error = body?.['error'] as { type?: unknown; message?: unknown } | undefined;
  const message =
    typeof error?.message === 'string'
      ? `${typeof error.type === 'string' ? `${error.type}: ` : ''}${error.message}`
      : excerpt(raw);
  return upstreamHttpError('anthropic', status, message, headers);
}

export function mapAnthropicError(status: number, raw: string, headers: Readonly<Record<string, string>>): GatewayError {
  return errorFromBody(status, parseErrorJson(raw), raw, headers);
}
