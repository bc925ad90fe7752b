// The live routing state one daemon keeps: latency per endpoint, a breaker per endpoint and
// the retry budget, all on one injected clock and one random source (seeded in tests and the
// simulator). The policy stage reads it to rank targets; the attempt policy writes it.
import { BreakerRegistry, type BreakerOptions } from './circuit-breaker.js';
import { LatencyTracker, type LatencyTrackerOptions } from './latency-tracker.js';
import { RetryBudget, type RetryBudgetOptions } from './retry.js';

export interface RoutingState {
  readonly latency: LatencyTracker;
  readonly breakers: BreakerRegistry;
  readonly retryBudget: RetryBudget;
  readonly random: () => number;
  readonly now: () => number;
}

export interface RoutingStateOptions {
  readonly now?: () => number;
  readonly random?: () => number;
  readonly breaker?: Omit<BreakerOptions, 'now'>;
  readonly latency?: Omit<LatencyTrackerOptions, 'now'>;
  readonly retryBudget?: Omit<RetryBudgetOptions, 'now'>;
}

export function createRoutingState(options: RoutingStateOptions = {}): RoutingState {
  const now = options.now ?? Date.now;
  return {
    latency: new LatencyTracker({ ...options.latency, now }),
    breakers: new BreakerRegistry({ ...options.breaker, now }),
    retryBudget: new RetryBudget({ ...options.retryBudget, now }),
    random: options.random ?? Math.random,
    now,
  };
}
