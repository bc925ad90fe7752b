import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAdminUiRoutes, daemonIdentityProof, UI_CONTENT_SECURITY_POLICY } from '../../../../daemon/api/admin/ui.js';
import { registerErrorHandler } from '../../../../daemon/http/error-handler.js';
import { registerHostGuard } from '../../../../daemon/http/host-guard.js';

interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Raw HTTP (not fetch) so the test controls Host and sends paths un-normalised. */
function get(port: number, path: string, host = `127.0.0.1:${port}`): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('GET /ui (daemon/api/admin/ui.ts)', () => {
  let dir: string;
  let app: FastifyInstance;
  let port: number;

  const start = async (uiDir: string, adminToken?: string): Promise<void> => {
    app = Fastify();
    registerHostGuard(app, { config: { allowed_hosts: [], cors_origins: [] }, port: () => (app.server.address() as AddressInfo).port });
    registerErrorHandler(app);
    app.register(createAdminUiRoutes({ uiDir, adminToken }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kagami-ui-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Kagami</title><script type="module" src="./assets/index-abc.js"></script>');
    writeFileSync(join(dir, 'assets', 'index-abc.js'), 'console.log("ui")');
    writeFileSync(join(dir, 'secret.txt'), 'not a UI file type');
  });

  afterEach(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves index.html with a strict CSP, no caching and no referrer', async () => {
    await start(dir);
    const res = await get(port, '/ui/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('<title>Kagami</title>');
    expect(res.headers['content-security-policy']).toBe(UI_CONTENT_SECURITY_POLICY);
    expect(UI_CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(UI_CONTENT_SECURITY_POLICY).not.toContain('unsafe');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('redirects /ui to /ui/ keeping the one-time ?token= for the page to pick up', async () => {
    await start(dir);
    const res = await get(port, '/ui?token=abc');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/ui/?token=abc');
  });

  it('serves hashed assets as immutable with their content type', async () => {
    await start(dir);
    const res = await get(port, '/ui/assets/index-abc.js');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toContain('immutable');
    expect(res.body).toBe('console.log("ui")');
  });

  it('serves only files of the build: no traversal, no other file types', async () => {
    await start(dir);
    for (const path of ['/ui/../package.json', '/ui/%2e%2e/%2e%2e/package.json', '/ui/secret.txt', '/ui/assets/../../etc/passwd', '/ui/nope.js']) {
      const res = await get(port, path);
      expect(res.status, path).toBe(404);
      expect(JSON.parse(res.body).error.code).toBe('route_not_found');
    }
  });

  it('refuses a foreign Host (DNS rebinding) like every other route', async () => {
    await start(dir);
    const res = await get(port, '/ui/', 'evil.example:80');
    expect(res.status).toBe(403);
    expect(res.body).not.toContain('<title>');
  });

  it('says how to build the UI when the build is missing', async () => {
    await start(join(dir, 'missing'));
    const res = await get(port, '/ui/');
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body).error.message).toContain('npm run build');
  });

  it('proves it holds the admin token for a nonce and its own port, without revealing it', async () => {
    const token = 'kagami-admin-0123456789abcdef0123456789abcdef';
    await start(dir, token);
    const nonce = 'ab'.repeat(32);
    const res = await get(port, `/ui/identity?nonce=${nonce}`);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const { proof } = JSON.parse(res.body) as { proof: string };
    expect(proof).toBe(daemonIdentityProof(token, nonce, port));
    expect(proof).not.toBe(daemonIdentityProof(token, nonce, port + 1));
    expect(res.body).not.toContain(token);
    for (const bad of ['', 'xyz', 'AB'.repeat(32), 'a'.repeat(31)]) expect((await get(port, `/ui/identity?nonce=${bad}`)).status, bad).toBe(400);
  });

  it('has no identity route without an admin token', async () => {
    await start(dir);
    expect((await get(port, `/ui/identity?nonce=${'ab'.repeat(32)}`)).status).toBe(404);
  });
});
