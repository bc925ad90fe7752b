// Everything the policy area keeps alive in a running daemon, built once at start and handed
// to the pipeline stages (applyPolicy, enforceLimits, serveFromCache), forwardUpstream (the
// attempt policy) and the admin routes: the live policy, routing state, limits, budgets, cache
// and health checks. close() writes what is pending (spend, cache, rate-limit buckets).
import type { Database } from 'better-sqlite3';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { Upstreams } from '../upstream/upstreams.js';
import { createRoutingAttemptPolicy, type RoutingAttemptPolicy } from '../routing/attempt-policy.js';
import type { BreakerOptions } from '../routing/circuit-breaker.js';
import { createHealthMonitor, type HealthMonitor } from '../routing/health-check.js';
import type { BackoffOptions, RetryBudgetOptions } from '../routing/retry.js';
import { createRoutingState, type RoutingState } from '../routing/routing-state.js';
import { BudgetLedger } from './budget-ledger.js';
import { createCacheStore } from './cache-store.js';
import type { CompiledPolicy } from './compile-policy.js';
import { createPolicyHolder, type PolicyHolder } from './policy-holder.js';
import { RateLimiter } from './rate-limiter.js';
import { ResponseCache } from './response-cache.js';
import { createSpendStore, type SpendStore } from './spend-store.js';
import { createTargetResolver, type RoutingConfig, type TargetResolver } from './target-resolver.js';

export interface PolicyRuntime {
  readonly holder: PolicyHolder;
  readonly routing: RoutingState;
  readonly resolveTarget: TargetResolver;
  readonly attemptPolicy: RoutingAttemptPolicy;
  readonly health: HealthMonitor;
  readonly limiter: RateLimiter;
  readonly budgets: BudgetLedger;
  readonly cache: ResponseCache;
  /** Writes pending spend and cache rows and the rate-limit buckets; stops health checks. */
  close(): void;
}

export interface PolicyRuntimeOptions {
  readonly config: RoutingConfig;
  /** The daemon's SQLite database (policy migrations applied); null keeps state in memory only. */
  readonly db: Database | null;
  readonly policy?: CompiledPolicy | null;
  /** For active health checks (probe URL + auth headers of a provider connection). */
  readonly upstreams?: Upstreams;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly breaker?: Omit<BreakerOptions, 'now'>;
  readonly retryBudget?: Omit<RetryBudgetOptions, 'now'>;
  readonly backoff?: BackoffOptions;
  /** How often changed rate-limit buckets are written (so a crash loses at most this much); 0: only at close. Default 10 s. */
  readonly bucketCheckpointMs?: number;
  /** false: health checks run only when checkAll() is called (tests). */
  readonly healthTimers?: boolean;
  /** Where errors of background writes go (default: stderr; spend is kept for the next flush). */
  readonly onError?: (error: unknown) => void;
  /** The audit trail, for budget crossings (admin events `budget_soft_limit`, `budget_exceeded`). */
  readonly adminEvents?: Pick<AuditWriter, 'appendAdminEvent'>;
}

export function createPolicyRuntime(options: PolicyRuntimeOptions): PolicyRuntime {
  const now = options.now ?? Date.now;
  const onError = options.onError ?? ((error: unknown) => process.stderr.write(`kagami: policy state: ${(error as Error).message}\n`));
  const routing = createRoutingState({ now, random: options.random, breaker: options.breaker, retryBudget: options.retryBudget });
  const holder = createPolicyHolder(options.policy ?? null);
  const spendStore: SpendStore | null = options.db ? createSpendStore(options.db) : null;
  const limiter = new RateLimiter(now);
  if (spendStore !== null) limiter.restore(spendStore.loadBuckets());
  const checkpointMs = options.bucketCheckpointMs ?? 10_000;
  const checkpoint =
    spendStore === null || checkpointMs <= 0
      ? null
      : setInterval(() => {
          try {
            const rows = limiter.takeChanges();
            if (rows.length > 0) spendStore.upsertBuckets(rows);
          } catch (error) {
            onError(error);
          }
        }, checkpointMs).unref();
  const budgets = new BudgetLedger({
    store: spendStore,
    now,
    onError,
    onCrossing: (crossing) => {
      options.adminEvents
        ?.appendAdminEvent({
          type: crossing.level === 'soft' ? 'budget_soft_limit' : 'budget_exceeded',
          actor: 'daemon',
          tenant: crossing.tenant,
          details: { ...crossing },
        })
        .catch(onError);
    },
  });
  const cache = new ResponseCache({
    store: options.db ? createCacheStore(options.db) : null,
    maxEntries: () => holder.current()?.cache.maxEntries ?? 10_000,
    now,
    onError,
  });
  const health = createHealthMonitor({
    breakers: routing.breakers,
    now,
    timers: options.healthTimers,
    locate: (provider, path) => {
      const upstream = options.upstreams?.get(provider);
      if (upstream === undefined) return undefined;
      return { url: `${upstream.connection.baseUrl}${path.startsWith('/') ? path : `/${path}`}`, headers: upstream.authHeaders };
    },
  });
  health.watch(holder.current());
  holder.onChange((policy) => health.watch(policy));
  const attemptPolicy = createRoutingAttemptPolicy(routing, { health, backoff: options.backoff });

  return {
    holder,
    routing,
    resolveTarget: createTargetResolver(options.config),
    attemptPolicy,
    health,
    limiter,
    budgets,
    cache,
    close() {
      if (checkpoint !== null) clearInterval(checkpoint);
      health.close();
      budgets.flush();
      cache.flush();
      try {
        spendStore?.saveBuckets(limiter.snapshot());
      } catch (error) {
        onError(error);
      }
    },
  };
}
