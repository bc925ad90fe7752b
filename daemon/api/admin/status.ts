// GET /admin/status: what this daemon is and runs (version, uptime, providers, models) for
// the desktop app and `kagami` tooling. Never includes secrets: only ids, types and URLs.
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../../../shared/schemas/config.js';
import { createAdminAuth } from '../../http/admin-auth.js';

export interface AdminStatusDeps {
  readonly config: Pick<Config, 'providers' | 'models' | 'listen'>;
  readonly adminToken?: string | undefined;
  readonly version?: string | undefined;
}

export function createAdminStatusRoutes(deps: AdminStatusDeps): FastifyPluginAsync {
  const startedAt = Date.now();
  const providers = deps.config.providers.map((provider) => ({
    id: provider.id,
    type: provider.type,
    base_url: provider.base_url ?? null,
    region: provider.region ?? null,
    on_prem: provider.on_prem,
  }));
  const models = deps.config.models.map((model) => ({ name: model.name, provider: model.provider, model: model.model }));
  return async function adminStatusRoutes(app) {
    app.get('/admin/status', { onRequest: createAdminAuth(deps.adminToken) }, async () => ({
      version: deps.version ?? null,
      pid: process.pid,
      started_at: startedAt,
      uptime_s: Math.round((Date.now() - startedAt) / 1000),
      listen: deps.config.listen,
      providers,
      models,
    }));
  };
}
