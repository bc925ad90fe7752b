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

/** GET /admin/routing/breakers (policy). */
export interface BreakerState {
  endpoint: string;
  provider?: string | null;
  state: 'closed' | 'open' | 'half_open' | string;
  failures?: number;
  opened_at?: number | null;
}

/** GET /admin/budgets (policy). */
export interface BudgetState {
  scope: string;
  key: string;
  period: 'daily' | 'monthly' | string;
  limit_usd: number;
  spent_usd: number;
  soft_ratio?: number;
}
