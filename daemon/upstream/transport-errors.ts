// Socket-level failures talking to an upstream → the gateway's errors. Any timeout is a 504;
// a refused, reset or closed connection is a 502; the client going away is recorded as 499.
import { GatewayError } from '../../shared/errors.js';

/** Abort reason used when a request's total time budget runs out. */
export class TotalTimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`upstream did not finish within ${ms} ms`);
    this.name = 'TotalTimeoutError';
  }
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

const TIMEOUT_WHAT: Readonly<Record<string, string>> = {
  UND_ERR_CONNECT_TIMEOUT: 'connecting',
  UND_ERR_HEADERS_TIMEOUT: 'waiting for the first byte',
  UND_ERR_BODY_TIMEOUT: 'waiting for the next stream chunk',
};

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Maps an error thrown by undici (or an abort) while talking to `provider`.
 * `clientSignal` tells a client disconnect apart from our own total timeout.
 */
export function mapTransportError(
  error: unknown,
  provider: string,
  clientSignal: AbortSignal,
  attemptSignal: { readonly aborted: boolean; readonly reason: unknown },
): GatewayError {
  if (error instanceof GatewayError) return error;
  if (clientSignal.aborted) {
    return new GatewayError('client_disconnected', 'the client closed the connection', { cause: error });
  }
  if (attemptSignal.aborted && attemptSignal.reason instanceof TotalTimeoutError) {
    return new GatewayError('upstream_timeout', `Upstream provider '${provider}' timed out: ${attemptSignal.reason.message}.`, {
      cause: error,
    });
  }
  const code = errorCode(error) ?? errorCode((error as { cause?: unknown } | null)?.cause);
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    const what = TIMEOUT_WHAT[code] ?? 'connecting';
    return new GatewayError('upstream_timeout', `Upstream provider '${provider}' timed out ${what}.`, { cause: error });
  }
  const detail = code ?? (error instanceof Error ? error.message : 'unknown error');
  return new GatewayError('upstream_error', `Could not reach upstream provider '${provider}' (${detail}).`, { cause: error });
}
