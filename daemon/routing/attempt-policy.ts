// Routing's side of forwardUpstream (daemon/upstream/attempt-policy.ts defines the interface):
// before each attempt the endpoint's breaker (and health check) must admit it; after it, the
// latency and the outcome are recorded; after a failure the next candidate is tried only for
// retryable errors (5xx, timeouts, connection errors, an upstream 429) and only while the
// retry budget lasts, so an outage cannot multiply traffic. Before trying an endpoint again
// in the same request, it waits a full-jitter backoff, or that endpoint's retry-after when
// longer; an endpoint whose retry-after is beyond the cap is not asked again in that request.
// Streams are never retried once they started: forwardUpstream only asks before anything
// reached the client.
import { setTimeout } from 'node:timers/promises';
import { GatewayError } from '../../shared/errors.js';
import type { RequestContext, Target } from '../pipeline/context.js';
import type { AttemptPolicy, AttemptResult } from '../upstream/attempt-policy.js';
import type { BreakerState } from './circuit-breaker.js';
import type { HealthMonitor } from './health-check.js';
import { backoffDelayMs, parseRetryAfterMs, type BackoffOptions } from './retry.js';
import type { RoutingState } from './routing-state.js';

const RETRYABLE = new Set(['upstream_error', 'upstream_timeout', 'upstream_unavailable']);
/** Failures that say the endpoint is unhealthy (a 4xx or 429 does not). */
const UNHEALTHY = RETRYABLE;

/** ctx.annotations.routing (applyPolicy copies it into the audited decision's `outcome`). */
export interface RoutingAnnotation {
  attempts: { endpoint: string; ok: boolean; latencyMs: number; error?: string }[];
  skipped: { endpoint: string; reason: 'breaker_open' | 'health_check_failed' | 'retry_after' }[];
  breakerStates: Record<string, BreakerState>;
  retryBudgetExhausted?: boolean;
  backoffMs?: number[];
  /** Per endpoint, when its retry-after lets it be asked again (ms since the epoch). */
  retryAfter?: Record<string, number>;
}

export interface RoutingAttemptPolicy extends AttemptPolicy {
  /** ms to wait before attempt number `attempt` (from 2) on `target`; 0 = go now. */
  delayBeforeAttempt(target: Target, attempt: number, lastError: GatewayError | undefined, ctx: RequestContext): number;
}

export interface RoutingAttemptPolicyOptions {
  readonly backoff?: BackoffOptions;
  /** A retry-after longer than this is not waited for: that endpoint is skipped for the request. */
  readonly maxRetryAfterMs?: number;
  readonly health?: HealthMonitor;
  /** Waits ms or rejects when the signal aborts (default: a timer); tests inject a fake clock's. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

function sleepWithTimer(ms: number, signal: AbortSignal): Promise<void> {
  return setTimeout(ms, undefined, { signal });
}

export function createRoutingAttemptPolicy(state: RoutingState, options: RoutingAttemptPolicyOptions = {}): RoutingAttemptPolicy {
  const seen = new WeakSet<RequestContext>();
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 10_000;
  const sleep = options.sleep ?? sleepWithTimer;

  function annotation(ctx: RequestContext): RoutingAnnotation {
    let a = ctx.annotations.routing as RoutingAnnotation | undefined;
    if (a === undefined) {
      a = { attempts: [], skipped: [], breakerStates: {} };
      ctx.annotations.routing = a;
    }
    return a;
  }

  /** Before asking an endpoint again in the same request: backoff, or its retry-after when longer. */
  function delayBeforeAttempt(target: Target, attempt: number, _lastError: GatewayError | undefined, ctx: RequestContext): number {
    const a = annotation(ctx);
    if (!a.attempts.some((x) => x.endpoint === target.endpoint)) return 0;
    let delay = backoffDelayMs(attempt - 2, state.random, options.backoff);
    const notBefore = a.retryAfter?.[target.endpoint];
    if (notBefore !== undefined) delay = Math.max(delay, Math.min(maxRetryAfterMs, notBefore - state.now()));
    if (delay > 0) (a.backoffMs ??= []).push(delay);
    return delay;
  }

  return {
    admit(target, ctx) {
      if (!seen.has(ctx)) {
        seen.add(ctx);
        state.retryBudget.recordRequest();
      }
      const a = annotation(ctx);
      const breaker = state.breakers.get(target.endpoint);
      const notBefore = a.retryAfter?.[target.endpoint];
      if (notBefore !== undefined && notBefore - state.now() > maxRetryAfterMs) {
        a.skipped.push({ endpoint: target.endpoint, reason: 'retry_after' });
        return false;
      }
      if (options.health !== undefined && !options.health.isUp(target.endpoint)) {
        a.skipped.push({ endpoint: target.endpoint, reason: 'health_check_failed' });
        a.breakerStates[target.endpoint] = breaker.status().state;
        return false;
      }
      const admitted = breaker.tryAcquire();
      a.breakerStates[target.endpoint] = breaker.status().state;
      if (!admitted) a.skipped.push({ endpoint: target.endpoint, reason: 'breaker_open' });
      return admitted;
    },

    record(target, result: AttemptResult, ctx) {
      const breaker = state.breakers.get(target.endpoint);
      if (result.ok) {
        state.latency.record(target.endpoint, result.latencyMs);
        breaker.recordSuccess();
      } else if (result.error !== undefined && UNHEALTHY.has(result.error.code)) {
        breaker.recordFailure();
      } else {
        breaker.release();
      }
      const a = annotation(ctx);
      const retryAfter = result.error ? parseRetryAfterMs(result.error.headers, state.now()) : null;
      if (retryAfter !== null) (a.retryAfter ??= {})[target.endpoint] = state.now() + retryAfter;
      a.attempts.push({
        endpoint: target.endpoint,
        ok: result.ok,
        latencyMs: Math.round(result.latencyMs * 10) / 10,
        ...(result.error ? { error: result.error.code } : {}),
      });
      a.breakerStates[target.endpoint] = breaker.status().state;
    },

    shouldFailover(error, _attempt, ctx) {
      const retryable = RETRYABLE.has(error.code) || (error.code === 'upstream_rejected' && error.status === 429);
      if (!retryable || ctx.signal.aborted) return false;
      if (state.retryBudget.tryRetry()) return true;
      annotation(ctx).retryBudgetExhausted = true;
      return false;
    },

    delayBeforeAttempt,

    async beforeAttempt(target, attempt, lastError, ctx) {
      const delay = delayBeforeAttempt(target, attempt, lastError, ctx);
      if (delay <= 0) return;
      try {
        await sleep(delay, ctx.signal);
      } catch (cause) {
        throw new GatewayError('client_disconnected', 'the client went away while the gateway waited to retry', { cause });
      }
    },
  };
}
