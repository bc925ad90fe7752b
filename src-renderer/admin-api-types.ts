// Responses of admin routes whose schema has not landed in shared/schemas/ yet. These are
// what this UI reads (and asks the owners for); every field is optional-tolerant in the views.
// Replace each with an `import type` from shared/ once the owner publishes it.

/** GET /admin/status (core-http). */
export interface DaemonStatusInfo {
  version?: string | null;
  pid?: number;
  started_at?: number;
  uptime_s?: number;
  listen?: { host: string; port: number };
  providers?: Array<{ id: string; type?: string; base_url?: string | null; region?: string | null; on_prem?: boolean }>;
  models?: Array<{ name: string; provider?: string; model?: string }>;
}

/** GET /admin/routing/breakers (policy): the live routing state of each endpoint. */
export interface RoutingEndpoint {
  endpoint: string;
  on_prem: boolean;
  breaker: {
    state: 'closed' | 'open' | 'half_open';
    consecutiveFailures: number;
    failureRatio: number;
    openedAt: number | null;
    /** When an open breaker lets its probe through. */
    retryAt: number | null;
    opens: number;
  };
  /** What routing measured (the latency the cost/latency strategies rank by). */
  latency: { samples: number; ewmaMs: number | null; p50Ms: number | null; p95Ms: number | null };
  /** Active health check, when the policy configures one for the endpoint. */
  health: { up: boolean; checkedAt: number | null; lastError: string | null } | null;
}
export interface RoutingState {
  endpoints: RoutingEndpoint[];
  retry_budget: { requests: number; retries: number } | null;
}

/** GET /admin/budgets (policy): spend of each tenant/key this day and month against its caps. */
export interface BudgetStatus {
  scope: 'tenant' | 'key';
  subject: string;
  dailySpendUsd: number;
  monthlySpendUsd: number;
  requestsToday: number;
  dailyCapUsd: number | null;
  monthlyCapUsd: number | null;
  /** Share of a cap at which the daemon warns (and may downgrade). */
  softRatio: number | null;
}
export interface BudgetsResponse {
  budgets: BudgetStatus[];
}
