// Google API error bodies ({"error":{"code","message","status","details"}}) → GatewayError.
// A 429's RetryInfo.retryDelay ("34.4s") becomes retry-after when the upstream sent none.
import type { GatewayError } from '../../../shared/errors.js';
import { excerpt, parseErrorJson, upstreamHttpError } from '../upstream-error.js';

export function mapGoogleError(provider: string, status: number, raw: string, headers: Readonly<Record<string, string>>): GatewayError {
  const parsed = parseErrorJson(raw);
  // Some Google front ends answer a JSON array holding the error object.
  const body = parsed ?? (() => {
    try {
      const list: unknown = JSON.parse(raw);
      return Array.isArray(list) && typeof list[0] === 'object' ? (list[0] as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  })();
  const error = body?.['error'] as { message?: unknown; status?: unknown; details?: unknown } | undefined;
  const message =
    typeof error?.message === 'string' ? `${typeof error.status === 'string' ? `${error.status}: ` : ''}${error.message}` : excerpt(raw);
  const withRetry = { ...headers };
  if (withRetry['retry-after'] === undefined && Array.isArray(error?.details)) {
    for (const detail of error.details as { ['@type']?: string; retryDelay?: string }[]) {
      const delay = detail.retryDelay;
      if (detail['@type']?.endsWith('RetryInfo') === true && typeof delay === 'string' && delay.endsWith('s')) {
        const seconds = Math.ceil(Number(delay.slice(0, -1)));
        if (Number.isFinite(seconds)) withRetry['retry-after'] = String(seconds);
      }
    }
  }
  return upstreamHttpError(provider, status, message, withRetry);
}
