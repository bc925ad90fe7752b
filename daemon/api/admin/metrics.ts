// GET /metrics: Prometheus text exposition (daemon/metrics/). Behind the admin token like
// every admin route: Prometheus sends it with `authorization: { credentials_file: … }`.
import type { FastifyPluginAsync } from 'fastify';
import { createAdminAuth } from '../../http/admin-auth.js';
import type { Metrics } from '../../metrics/metrics.js';

export interface MetricsRoutesDeps {
  readonly metrics: Pick<Metrics, 'render' | 'contentType'>;
  readonly adminToken?: string | undefined;
}

export function createMetricsRoutes(deps: MetricsRoutesDeps): FastifyPluginAsync {
  return async function metricsRoutes(app) {
    app.addHook('onRequest', createAdminAuth(deps.adminToken));
    app.get('/metrics', async (_request, reply) => {
      const text = await deps.metrics.render();
      return reply.type(deps.metrics.contentType).send(text);
    });
  };
}
