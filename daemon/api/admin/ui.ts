// GET /ui/*: the desktop app's React UI, served by the daemon for machines without a desktop
// (and loaded by the desktop window itself). Static files from the web build (dist/ui/, made
// by `npm run build`), read once at startup into memory: no filesystem paths from requests,
// so no traversal. The page itself holds no data; it signs in with the admin token (Jupyter
// style: pasted, or `?token=` once) and keeps it in sessionStorage, then calls /admin/*.
// Every response carries a strict CSP and the usual isolation headers; the host guard
// (daemon/http/host-guard.ts) applies as on every route.
// GET /ui/identity?nonce= lets the desktop app check, before it hands this daemon's admin token
// to a page or loads one, that whatever answers on the port is the daemon holding that token
// (another local program could have taken the port): HMAC-SHA256(token, nonce + the port the
// request arrived on), so a relay to the real daemon on another port does not pass either.

import { createHmac } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { GatewayError } from '../../../shared/errors.js';

export interface AdminUiDeps {
  /** Directory of the web build; defaults to dist/ui next to the compiled daemon. */
  readonly uiDir?: string;
  /** The admin token, for GET /ui/identity (absent: that route answers 404). */
  readonly adminToken?: string | undefined;
}

const NONCE = /^[0-9a-f]{32,128}$/;

/** The proof GET /ui/identity answers with (src-main/daemon-identity.ts computes the same). */
export function daemonIdentityProof(adminToken: string, nonce: string, port: number): string {
  return createHmac('sha256', adminToken).update(`kagami-daemon-identity\n${nonce}\n${port}`).digest('hex');
}

export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': UI_CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  // The sign-in URL may carry ?token=: never leak it in a Referer.
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), usb=(), payment=()',
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

interface UiFile {
  readonly body: Buffer;
  readonly type: string;
  /** Hashed asset names never change content: cache for a year. */
  readonly immutable: boolean;
}

/** dist/daemon/api/admin/ → dist/ui; daemon/api/admin/ (run from source) → dist/ui. */
function defaultUiDir(): string {
  const compiled = fileURLToPath(new URL('../../../ui/', import.meta.url));
  const fromSource = fileURLToPath(new URL('../../../dist/ui/', import.meta.url));
  return existsSync(join(compiled, 'index.html')) ? compiled : fromSource;
}

export function loadUiFiles(dir: string): Map<string, UiFile> {
  const files = new Map<string, UiFile>();
  if (!existsSync(join(dir, 'index.html'))) return files;
  const walk = (current: string): void => {
    for (const name of readdirSync(current)) {
      const path = join(current, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      const type = CONTENT_TYPES[extname(name)];
      if (!type) continue;
      const key = relative(dir, path).split(sep).join('/');
      files.set(key, { body: readFileSync(path), type, immutable: key.startsWith('assets/') });
    }
  };
  walk(dir);
  return files;
}

export function createAdminUiRoutes(deps: AdminUiDeps = {}): FastifyPluginAsync {
  const uiDir = deps.uiDir ?? defaultUiDir();
  const files = loadUiFiles(uiDir);

  const send = (reply: FastifyReply, file: UiFile): FastifyReply =>
    reply
      .headers(SECURITY_HEADERS)
      .header('content-type', file.type)
      .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-store')
      .send(file.body);

  return async function adminUiRoutes(app) {
    // /ui → /ui/ so the build's relative asset URLs resolve; the query (?token=) is kept.
    app.get('/ui', (request, reply) => {
      const query = request.url.indexOf('?');
      return reply.headers(SECURITY_HEADERS).redirect(`/ui/${query === -1 ? '' : request.url.slice(query)}`, 302);
    });
    app.get('/ui/identity', (request, reply) => {
      const { adminToken } = deps;
      if (!adminToken) throw new GatewayError('route_not_found', 'This daemon has no admin token');
      const nonce = (request.query as { nonce?: unknown }).nonce;
      if (typeof nonce !== 'string' || !NONCE.test(nonce)) throw new GatewayError('invalid_request', 'nonce must be 32-128 lowercase hex digits', { param: 'nonce' });
      const proof = daemonIdentityProof(adminToken, nonce, request.socket.localPort ?? 0);
      return reply.headers(SECURITY_HEADERS).header('cache-control', 'no-store').send({ proof });
    });
    app.get('/ui/*', (request, reply) => {
      const path = (request.params as { '*': string })['*'];
      const file = files.get(path === '' ? 'index.html' : path);
      if (file) return send(reply, file);
      if (files.size === 0) {
        throw new GatewayError('route_not_found', `The web UI is not built (no index.html in ${uiDir}); run \`npm run build\`.`);
      }
      throw new GatewayError('route_not_found', `No UI file ${path}`);
    });
  };
}
