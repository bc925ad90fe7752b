// What the policy area's admin routes answer (daemon/api/admin/policy.ts), for the desktop app
// and scripts: spend against budgets (GET /admin/budgets), the live routing state per endpoint
// (GET /admin/routing/breakers) and the applied policy (GET /admin/policy).
import Type from 'typebox';
import { Budget, Policy, RateLimit } from './policy.js';

const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** Spend of one tenant or virtual key this UTC day and month, with the live policy's caps. */
export const BudgetStatus = Type.Object({
  scope: Type.Union([Type.Literal('tenant'), Type.Literal('key')]),
  /** Tenant name or virtual key id. */
  subject: Type.String(),
  dailySpendUsd: Type.Number(),
  monthlySpendUsd: Type.Number(),
  requestsToday: Type.Integer(),
  dailyCapUsd: Nullable(Type.Number()),
  monthlyCapUsd: Nullable(Type.Number()),
  /** Share of a cap past which answers carry x-kagami-budget-warning. */
  softRatio: Nullable(Type.Number()),
});
export type BudgetStatus = Type.Static<typeof BudgetStatus>;

export const BudgetsResponse = Type.Object({
  budgets: Type.Array(BudgetStatus),
  /** The policy's `budgets` and `limits` as written. */
  caps: Type.Array(Budget),
  limits: Type.Array(RateLimit),
});
export type BudgetsResponse = Type.Static<typeof BudgetsResponse>;

export const BreakerState = Type.Union([Type.Literal('closed'), Type.Literal('open'), Type.Literal('half_open')]);

/** One endpoint as routing sees it: breaker, measured latency, active health check. */
export const RoutingEndpointState = Type.Object({
  endpoint: Type.String(),
  on_prem: Type.Boolean(),
  breaker: Type.Object({
    endpoint: Type.String(),
    state: BreakerState,
    consecutiveFailures: Type.Integer(),
    failureRatio: Type.Number(),
    openedAt: Nullable(Type.Integer()),
    /** When an open breaker lets its probe through. */
    retryAt: Nullable(Type.Integer()),
    opens: Type.Integer(),
  }),
  latency: Type.Object({
    samples: Type.Integer(),
    ewmaMs: Nullable(Type.Number()),
    p50Ms: Nullable(Type.Number()),
    p95Ms: Nullable(Type.Number()),
  }),
  health: Nullable(
    Type.Object({ endpoint: Type.String(), up: Type.Boolean(), checkedAt: Nullable(Type.Integer()), lastError: Nullable(Type.String()) }),
  ),
});
export type RoutingEndpointState = Type.Static<typeof RoutingEndpointState>;

export const RoutingStateResponse = Type.Object({
  endpoints: Type.Array(RoutingEndpointState),
  /** Requests and retries in the retry budget's sliding window; null without a policy runtime. */
  retry_budget: Nullable(Type.Object({ requests: Type.Integer(), retries: Type.Integer() })),
});
export type RoutingStateResponse = Type.Static<typeof RoutingStateResponse>;

export const AppliedPolicyResponse = Type.Object({
  policy: Nullable(
    Type.Object({
      file: Type.String(),
      version: Type.Integer(),
      sha256: Type.String(),
      rules: Type.Array(Type.Object({ name: Type.String(), conditions: Type.Array(Type.String()), action: Type.String() })),
      document: Policy,
    }),
  ),
});
export type AppliedPolicyResponse = Type.Static<typeof AppliedPolicyResponse>;
