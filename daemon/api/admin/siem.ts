// GET /admin/siem/status: where each SIEM sink stands (cursor, lag behind the trail head,
// last delivery, last error, retry time), for the desktop app's settings view and
// `kagami siem status`. Admin token required.
import type { FastifyPluginAsync } from 'fastify';
import type { SiemStatus } from '../../../shared/schemas/siem.js';
import { createAdminAuth } from '../../http/admin-auth.js';

export interface SiemRoutesDeps {
  readonly siemStatus: () => SiemStatus;
  readonly adminToken?: string | undefined;
}

export function createSiemRoutes(deps: SiemRoutesDeps): FastifyPluginAsync {
  return async function siemRoutes(app) {
    app.addHook('onRequest', createAdminAuth(deps.adminToken));
    app.get('/admin/siem/status', async (): Promise<SiemStatus> => deps.siemStatus());
  };
}
