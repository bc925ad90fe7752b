// Admin views of the policy area, for the desktop app and for admins: the applied policy
// (GET /admin/policy), spend against budgets (GET /admin/budgets), and the live routing state
// per endpoint: breakers, latency percentiles, health checks, retry budget
// (GET /admin/routing/breakers).
import type { FastifyPluginAsync } from 'fastify';
import type { AppliedPolicyResponse, BudgetsResponse, RoutingStateResponse } from '../../../shared/schemas/policy-admin.js';
import { createAdminAuth } from '../../http/admin-auth.js';
import type { PolicyRuntime } from '../../policy/policy-runtime.js';

export interface AdminPolicyDeps {
  readonly policyRuntime?: PolicyRuntime;
  readonly adminToken?: string | undefined;
}

export function createAdminPolicyRoutes(deps: AdminPolicyDeps): FastifyPluginAsync {
  return async function adminPolicyRoutes(app) {
    const runtime = deps.policyRuntime;
    const onRequest = createAdminAuth(deps.adminToken);

    app.get('/admin/policy', { onRequest }, async (): Promise<AppliedPolicyResponse> => {
      const policy = runtime?.holder.current() ?? null;
      if (runtime === undefined || policy === null) return { policy: null };
      return {
        policy: {
          file: policy.fileName,
          version: policy.version,
          sha256: policy.sha256,
          rules: policy.rules.map((r) => ({ name: r.name, conditions: r.conditions.map((c) => c.label), action: r.action.kind })),
          document: policy.document,
        },
      };
    });

    app.get('/admin/budgets', { onRequest }, async (): Promise<BudgetsResponse> => {
      const policy = runtime?.holder.current() ?? null;
      return {
        budgets: runtime?.budgets.list(policy) ?? [],
        caps: policy?.document.budgets ?? [],
        limits: policy?.document.limits ?? [],
      };
    });

    app.get('/admin/routing/breakers', { onRequest }, async (): Promise<RoutingStateResponse> => {
      if (runtime === undefined) return { endpoints: [], retry_budget: null };
      const policy = runtime.holder.current();
      const names = new Set([...Object.keys(policy?.endpoints ?? {}), ...runtime.routing.latency.endpointsSeen()]);
      for (const b of runtime.routing.breakers.list()) names.add(b.endpoint);
      const breakers = new Map(runtime.routing.breakers.list().map((b) => [b.endpoint, b]));
      const health = new Map(runtime.health.list().map((h) => [h.endpoint, h]));
      return {
        endpoints: [...names].sort().map((name) => ({
          endpoint: name,
          on_prem: policy?.endpoints[name]?.onPrem ?? false,
          breaker: breakers.get(name) ?? { endpoint: name, state: 'closed', consecutiveFailures: 0, failureRatio: 0, openedAt: null, retryAt: null, opens: 0 },
          latency: runtime.routing.latency.snapshot(name),
          health: health.get(name) ?? null,
        })),
        retry_budget: runtime.routing.retryBudget.totals(),
      };
    });
  };
}
