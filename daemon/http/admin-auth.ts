// The admin token check every /admin/* route uses (`Authorization: Bearer <admin token>`),
// as a fastify onRequest hook. Constant-time compare; a daemon without a token refuses all.
import { timingSafeEqual } from 'node:crypto';
import type { onRequestHookHandler } from 'fastify';
import { GatewayError } from '../../shared/errors.js';

export function createAdminAuth(adminToken: string | undefined): onRequestHookHandler {
  const expected = adminToken === undefined || adminToken === '' ? null : Buffer.from(adminToken);
  return function requireAdminToken(request, _reply, done) {
    const header = request.headers.authorization;
    const presented = typeof header === 'string' && header.slice(0, 7).toLowerCase() === 'bearer ' ? Buffer.from(header.slice(7).trim()) : null;
    if (expected === null || presented === null || presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      done(new GatewayError('admin_token_required', 'This admin route needs `Authorization: Bearer <admin token>` (printed at daemon start, stored in <data_dir>/admin-token).'));
      return;
    }
    done();
  };
}
