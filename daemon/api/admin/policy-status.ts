// GET /admin/policy/status: which team policy is live (version, signer, source, when applied)
// and the last bundle that was refused with its reason — for the desktop app's Policy view
// and for admins checking a push landed.
import type { FastifyPluginAsync } from 'fastify';
import { createAdminAuth } from '../../http/admin-auth.js';
import type { TeamPolicy } from '../../policy/bundle/team-policy.js';

export interface AdminPolicyStatusDeps {
  readonly teamPolicy: Pick<TeamPolicy, 'status'>;
  readonly adminToken?: string | undefined;
}

export function createAdminPolicyStatusRoutes(deps: AdminPolicyStatusDeps): FastifyPluginAsync {
  return async function adminPolicyStatusRoutes(app) {
    app.get('/admin/policy/status', { onRequest: createAdminAuth(deps.adminToken) }, async () => deps.teamPolicy.status());
  };
}
