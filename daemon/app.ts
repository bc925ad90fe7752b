// buildApp(deps): the daemon's HTTP app, every part registered explicitly and in order
// (no autoload, no logic here). It does not listen: daemon/main.ts (or a test) does.
// Areas add their routes with one line: `app.register(createXRoutes(deps))`.
import type { AddressInfo } from 'node:net';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { AppDeps } from './deps.js';
import { registerErrorHandler } from './http/error-handler.js';
import { registerHostGuard } from './http/host-guard.js';
import { registerJsonBody } from './http/json-body.js';
import { registerTrace } from './http/trace.js';
import { createAuditRoutes } from './api/admin/audit.js';
import { createAdminEventRoutes } from './api/admin/events.js';
import { createAdminPolicyRoutes } from './api/admin/policy.js';
import { createAdminPolicyStatusRoutes } from './api/admin/policy-status.js';
import { createAdminStatusRoutes } from './api/admin/status.js';
import { createProviderKeyRoutes } from './api/admin/provider-keys.js';
import { createAdminUiRoutes } from './api/admin/ui.js';
import { createMetricsRoutes } from './api/admin/metrics.js';
import { createSiemRoutes } from './api/admin/siem.js';
import type { Metrics } from './metrics/metrics.js';
import type { Stage } from './pipeline/context.js';
import type { SiemStatus } from '../shared/schemas/siem.js';
import { createOpenAiRoutes } from './api/openai/routes.js';
import { createResponsesRoutes } from './api/openai/responses.js';
import { createAnthropicRoutes } from './api/anthropic/routes.js';
import type { AuditQueryStore } from './audit/audit-query-store.js';
import { createPipeline } from './pipeline/index.js';
import type { PolicyRuntime } from './policy/policy-runtime.js';
import type { TeamPolicy } from './policy/bundle/team-policy.js';
import { findAdapter } from './providers/index.js';
import type { AttemptPolicy } from './upstream/attempt-policy.js';
import { createUpstreams, type Upstreams } from './upstream/upstreams.js';

export type { AppDeps } from './deps.js';

/** Optional parts buildApp creates itself when not given (tests and other areas inject theirs). */
export interface AppExtras {
  /** Upstream pools; built from config.providers when absent (and closed with the app). */
  readonly upstreams?: Upstreams;
  /** Routing's breakers / retry budget / latency recording (daemon/routing/). */
  readonly attemptPolicy?: AttemptPolicy;
  /** Heartbeat interval of GET /admin/events, ms (default 15 s). */
  readonly heartbeatMs?: number;
  /** Reads the audit trail (GET /admin/audit, /admin/redactions, /admin/stats/*); absent: those routes are not served. */
  readonly auditQuery?: AuditQueryStore;
  /** The policy area's live state (policy holder, routing, limits, budgets, cache); absent: no policy. */
  readonly policyRuntime?: PolicyRuntime;
  /** Which team policy is applied and what was refused (GET /admin/policy/status). */
  readonly teamPolicy?: Pick<TeamPolicy, 'status'>;
  /** Where each SIEM sink stands (GET /admin/siem/status); absent: not served. */
  readonly siemStatus?: () => SiemStatus;
  /** Prometheus metrics (GET /metrics, admin token); absent: not served. */
  readonly metrics?: Pick<Metrics, 'render' | 'contentType'>;
  /** Wraps each pipeline stage in an OpenTelemetry span (daemon/tracing/); absent: no tracing. */
  readonly traceStage?: (stage: Stage, index: number) => Stage;
}

export function buildApp(deps: AppDeps & AppExtras): FastifyInstance {
  const { config } = deps;
  const app: FastifyInstance = Fastify({
    ...(deps.logger === undefined
      ? { logger: { level: 'warn', redact: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers["api-key"]'] } }
      : { loggerInstance: deps.logger }),
    // No per-request log lines: logging is off the hot path; errors are logged with the trace id.
    logController: new LogController({ disableRequestLogging: true }),
    // request.log is the app's logger itself, not a child built per request (a pino child per
    // request was ~1% of a request's CPU): errors carry the trace id in their own fields.
    childLoggerFactory: (logger) => logger,
    requestIdHeader: false,
    bodyLimit: config.limits.body_bytes,
    return503OnClosing: true,
    // Bodies pass through untouched: no type coercion, no defaults, nothing stripped.
    ajv: { customOptions: { coerceTypes: false, useDefaults: false, removeAdditional: false, allErrors: false } },
  });

  registerTrace(app);
  registerHostGuard(app, {
    config,
    port: () => (app.server.address() as AddressInfo | null)?.port ?? config.listen.port,
  });
  registerJsonBody(app, { bodyBytes: config.limits.body_bytes, jsonDepth: config.limits.json_depth });
  registerErrorHandler(app);

  const upstreams = deps.upstreams ?? createUpstreams(config.providers, findAdapter);
  if (deps.upstreams === undefined) app.addHook('onClose', () => upstreams.close());
  const runPipeline = createPipeline({ ...deps, upstreams });

  app.register(createOpenAiRoutes({ config, keyStore: deps.keyStore, runPipeline, isReady: deps.isReady }));
  app.register(createResponsesRoutes({ runPipeline }));
  app.register(createAnthropicRoutes({ runPipeline, keyStore: deps.keyStore, config }));
  app.register(createAdminEventRoutes(deps));
  app.register(createAdminStatusRoutes(deps));
  app.register(createAdminUiRoutes({ adminToken: deps.adminToken }));
  if (deps.auditQuery) app.register(createAuditRoutes({ auditQuery: deps.auditQuery, adminToken: deps.adminToken }));
  if (deps.siemStatus) app.register(createSiemRoutes({ siemStatus: deps.siemStatus, adminToken: deps.adminToken }));
  if (deps.metrics) app.register(createMetricsRoutes({ metrics: deps.metrics, adminToken: deps.adminToken }));
  app.register(createProviderKeyRoutes({ config, findAdapter, adminToken: deps.adminToken }));
  app.register(createAdminPolicyStatusRoutes({ teamPolicy: deps.teamPolicy ?? NO_TEAM_POLICY, adminToken: deps.adminToken }));
  app.register(createAdminPolicyRoutes({ policyRuntime: deps.policyRuntime, adminToken: deps.adminToken }));

  return app;
}

const NO_TEAM_POLICY: Pick<TeamPolicy, 'status'> = {
  status: () => ({ applied: null, last_refused: null, source: null, trusted_keys: [], source_error: null, signed: false }),
};
