// What forwardUpstream asks before and after each attempt, so routing (circuit breakers,
// retry budget, latency EWMA in daemon/routing/) plugs in without touching the transport.
// The default admits every target, records nothing and fails over on 5xx / connect errors /
// timeouts only (never on a 4xx: the next target would refuse the same request).
import type { GatewayError } from '../../shared/errors.js';
import type { RequestContext, Target } from '../pipeline/context.js';

export interface AttemptResult {
  readonly ok: boolean;
  /** ms from sending to the end of the answer (or the failure). */
  readonly latencyMs: number;
  readonly error?: GatewayError;
}

export interface AttemptPolicy {
  /** May `target` be tried now? (false: skip it, e.g. breaker open). */
  admit(target: Target, ctx: RequestContext): boolean;
  /** One attempt finished. */
  record(target: Target, result: AttemptResult, ctx: RequestContext): void;
  /** After a failed attempt, may the next candidate be tried? `attempt` counts from 1. */
  shouldFailover(error: GatewayError, attempt: number, ctx: RequestContext): boolean;
  /** Before attempt `attempt` (from 2): resolves when it may go (backoff, retry-after). Optional. */
  beforeAttempt?(target: Target, attempt: number, lastError: GatewayError | undefined, ctx: RequestContext): Promise<void> | void;
}

const FAILOVER_CODES = new Set(['upstream_error', 'upstream_timeout', 'upstream_unavailable']);

export function isFailoverError(error: GatewayError): boolean {
  return FAILOVER_CODES.has(error.code);
}

export const defaultAttemptPolicy: AttemptPolicy = {
  admit: () => true,
  record: () => {},
  shouldFailover: (error) => isFailoverError(error),
};
