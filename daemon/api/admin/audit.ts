// The audit trail over the admin API, for the desktop app and scripts: GET /admin/audit
// (requests), /admin/redactions (the redaction log), /admin/stats/latency (p50/p95 and error
// rate per provider/endpoint over 5 min, 1 h, 24 h) and /admin/stats/cost (spend per tenant,
// model, endpoint). Admin token required; filters are validated (400 names the bad one).
import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import {
  AuditQuery,
  RedactionQuery,
  StatsWindow,
  type AuditPage,
  type CostStats,
  type LatencyStats,
  type RedactionPage,
} from '../../../shared/schemas/audit.js';
import type { AuditQueryStore } from '../../audit/audit-query-store.js';
import { createFilterParser } from '../../audit/parse-query.js';
import { createAdminAuth } from '../../http/admin-auth.js';

export interface AuditRoutesDeps {
  readonly auditQuery: AuditQueryStore;
  readonly adminToken?: string | undefined;
  readonly now?: () => number;
}

const LatencyQuery = Type.Object({ window: Type.Optional(StatsWindow) }, { additionalProperties: false });
const CostQuery = Type.Object(
  { from: Type.Optional(Type.Integer()), to: Type.Optional(Type.Integer()) },
  { additionalProperties: false },
);
const parseAudit = createFilterParser<AuditQuery>(AuditQuery);
const parseRedactions = createFilterParser<RedactionQuery>(RedactionQuery);
const parseLatency = createFilterParser<Type.Static<typeof LatencyQuery>>(LatencyQuery);
const parseCost = createFilterParser<Type.Static<typeof CostQuery>>(CostQuery);

const DAY_MS = 86_400_000;

export function createAuditRoutes(deps: AuditRoutesDeps): FastifyPluginAsync {
  const { auditQuery } = deps;
  const now = deps.now ?? Date.now;
  return async function auditRoutes(app) {
    app.addHook('onRequest', createAdminAuth(deps.adminToken));
    const query = (request: { query: unknown }) => (request.query ?? {}) as Record<string, unknown>;

    app.get('/admin/audit', async (request): Promise<AuditPage> => auditQuery.requests(parseAudit(query(request))));
    app.get('/admin/redactions', async (request): Promise<RedactionPage> => auditQuery.redactions(parseRedactions(query(request))));
    app.get('/admin/stats/latency', async (request): Promise<{ windows: LatencyStats[] }> => {
      const { window } = parseLatency(query(request));
      const at = now();
      return { windows: (window ? [window] : (['5m', '1h', '24h'] as const)).map((w) => auditQuery.latency(w, at)) };
    });
    app.get('/admin/stats/cost', async (request): Promise<CostStats> => {
      const filter = parseCost(query(request));
      const to = filter.to ?? now();
      return auditQuery.cost(filter.from ?? to - DAY_MS, to);
    });
  };
}
