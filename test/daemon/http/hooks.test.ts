// The transport hooks on a real listening daemon: Host/Origin guard (DNS rebinding), CORS only
// when configured, JSON-only strict bodies with depth and size limits, W3C trace ids on every
// response, and the one error handler (including an unexpected exception that must not crash).
import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../../../daemon/mock-upstream/server.js';
import { startGateway, type TestGateway } from '../../support/gateway.js';

let upstream: MockUpstream;
let gateway: TestGateway;

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: { error?: { code: string; type: string; message: string; param: string | null } } & Record<string, unknown>;
}

/** A request with full control over Host and body bytes (fetch would fix Host up). */
function raw(options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer; setHost?: boolean }): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: gateway.port, method: options.method ?? 'GET', path: options.path, headers: options.headers, setHost: options.setHost ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json = {};
          try {
            json = JSON.parse(text);
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

function chatBody(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ model: 'chat-model', messages: [{ role: 'user', content: 'hi' }], ...extra });
}

async function start(config: Record<string, unknown> = {}, extras: Parameters<typeof startGateway>[0] extends infer T ? Partial<T> : never = {}): Promise<void> {
  gateway = await startGateway({
    config: {
      providers: [{ id: 'sim', type: 'openai', base_url: upstream.url }],
      models: [{ name: 'chat-model', provider: 'sim', model: 'upstream-chat' }],
      ...config,
    },
    ...extras,
  });
}

function post(body: string | Buffer, headers: Record<string, string> = {}): Promise<RawResponse> {
  return raw({
    method: 'POST',
    path: '/v1/chat/completions',
    headers: { host: `127.0.0.1:${gateway.port}`, 'content-type': 'application/json', authorization: `Bearer ${gateway.apiKey}`, ...headers },
    body,
  });
}

beforeEach(async () => {
  upstream = await startMockUpstream();
});

afterEach(async () => {
  await gateway?.close();
  await upstream.close();
});

describe('Host guard', () => {
  it('accepts the loopback names with the listen port', async () => {
    await start();
    for (const host of [`127.0.0.1:${gateway.port}`, `localhost:${gateway.port}`, `LOCALHOST:${gateway.port}`, `[::1]:${gateway.port}`]) {
      const res = await raw({ path: '/healthz', headers: { host } });
      expect(res.status, host).toBe(200);
    }
  });

  it.each([
    ['an empty Host', ''],
    ['a private IP (DNS rebinding)', '192.168.1.20'],
    ['a private IP with our port', '192.168.1.20:PORT'],
    ['a public IP', '93.184.216.34:PORT'],
    ['a foreign name', 'evil.com'],
    ['a foreign name with our port', 'evil.com:PORT'],
    ['a loopback name on another port', '127.0.0.1:1'],
    ['a lookalike name', 'localhost.evil.com:PORT'],
  ])('refuses %s with 403 foreign_host', async (_name, host) => {
    await start();
    const res = await raw({ path: '/v1/models', headers: { host: host.replace('PORT', String(gateway.port)), authorization: `Bearer ${gateway.apiKey}` } });
    expect(res.status).toBe(403);
    expect(res.json.error).toMatchObject({ code: 'foreign_host', type: 'permission_error' });
    expect(res.headers['x-kagami-trace-id']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('accepts a configured extra host name', async () => {
    await start({ allowed_hosts: ['kagami.internal'] });
    expect((await raw({ path: '/healthz', headers: { host: 'kagami.internal' } })).status).toBe(200);
    expect((await raw({ path: '/healthz', headers: { host: `kagami.internal:${gateway.port}` } })).status).toBe(200);
    expect((await raw({ path: '/healthz', headers: { host: 'other.internal' } })).status).toBe(403);
  });
});

describe('Origin guard and CORS', () => {
  it('refuses a foreign Origin and sends no CORS headers by default', async () => {
    await start();
    const res = await post(chatBody(), { origin: 'http://evil.com' });
    expect(res.status).toBe(403);
    expect(res.json.error?.code).toBe('foreign_origin');
    const ok = await post(chatBody());
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBeUndefined();
  });

  it("accepts the daemon's own origin (the /ui pages)", async () => {
    await start();
    const res = await post(chatBody(), { origin: `http://127.0.0.1:${gateway.port}` });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers configured origins with CORS headers and preflight', async () => {
    await start({ cors_origins: ['http://localhost:3000'] });
    const res = await post(chatBody(), { origin: 'http://localhost:3000' });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    const preflight = await raw({
      method: 'OPTIONS',
      path: '/v1/chat/completions',
      headers: { host: `127.0.0.1:${gateway.port}`, origin: 'http://localhost:3000', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
    expect(preflight.headers['access-control-allow-headers']).toBe('authorization, content-type');
    expect((await post(chatBody(), { origin: 'http://localhost:4000' })).status).toBe(403);
  });
});

describe('JSON bodies', () => {
  it('refuses text/plain and forms with 415 (no text parser)', async () => {
    await start();
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await post(chatBody(), { 'content-type': type });
      expect(res.status, type).toBe(415);
      expect(res.json.error?.code).toBe('unsupported_media_type');
    }
    expect(upstream.stats.requests).toBe(0);
  });

  it('accepts application/json with a charset', async () => {
    await start();
    expect((await post(chatBody(), { 'content-type': 'application/json; charset=utf-8' })).status).toBe(200);
  });

  it('400 invalid_json for malformed JSON, invalid UTF-8 and too deep nesting', async () => {
    await start({ limits: { json_depth: 8 } });
    const malformed = await post('{"model": "chat-model",');
    expect(malformed.status).toBe(400);
    expect(malformed.json.error?.code).toBe('invalid_json');

    const invalidUtf8 = Buffer.concat([Buffer.from('{"model":"chat-model","messages":[{"role":"user","content":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}]}')]);
    const utf8 = await post(invalidUtf8);
    expect(utf8.status).toBe(400);
    expect(utf8.json.error?.message).toContain('UTF-8');

    const deep = await post(chatBody({ metadata: JSON.parse('{"a":'.repeat(10) + '1' + '}'.repeat(10)) }));
    expect(deep.status).toBe(400);
    expect(deep.json.error?.message).toContain('deeper than 8');
    // Brackets inside strings do not count.
    expect((await post(chatBody({ user: '[[[[[[[[[[[[{{{{{{{{{{' }))).status).toBe(200);
  });

  it('415 with an OpenAI error for a compressed body (any Content-Encoding), before it reaches the upstream', async () => {
    await start();
    for (const encoding of ['gzip', 'br', 'deflate, gzip']) {
      const res = await post(gzipSync(chatBody()), { 'content-encoding': encoding });
      expect(res.status, encoding).toBe(415);
      expect(res.json.error).toMatchObject({ code: 'unsupported_media_type', type: 'invalid_request_error' });
      expect(res.json.error?.message).toBe(`Content-Encoding "${encoding}" is not supported: send the request body uncompressed.`);
    }
    expect(upstream.stats.requests).toBe(0);
    expect((await post(chatBody(), { 'content-encoding': 'identity' })).status).toBe(200);
  });

  it('413 body_too_large over limits.body_bytes', async () => {
    await start({ limits: { body_bytes: 2048 } });
    const res = await post(chatBody({ user: 'x'.repeat(4096) }));
    expect(res.status).toBe(413);
    expect(res.json.error).toMatchObject({ code: 'body_too_large', type: 'invalid_request_error' });
    expect(res.headers['x-kagami-trace-id']).toBeDefined();
  });
});

describe('trace context', () => {
  it('continues a valid incoming traceparent with a new span id', async () => {
    await start();
    const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const res = await post(chatBody(), { traceparent: incoming });
    expect(res.headers['x-kagami-trace-id']).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    const parent = res.headers.traceparent as string;
    expect(parent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(parent).not.toBe(incoming);
    // The upstream request carries the same traceparent.
    expect(upstream.stats.recent.at(-1)?.headers.traceparent).toBe(parent);
  });

  it('starts a new trace for a missing or malformed traceparent, on errors too', async () => {
    await start();
    for (const traceparent of ['garbage', '00-00000000000000000000000000000000-00f067aa0ba902b7-01']) {
      const res = await raw({ path: '/nope', headers: { host: `127.0.0.1:${gateway.port}`, traceparent } });
      expect(res.status).toBe(404);
      expect(res.json.error?.code).toBe('route_not_found');
      expect(res.headers['x-kagami-trace-id']).toMatch(/^[0-9a-f]{32}$/);
      expect(res.headers['x-kagami-trace-id']).not.toBe('00000000000000000000000000000000');
      expect(res.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    }
  });
});

describe('error handler', () => {
  it('answers 500 internal_error for an unexpected exception and keeps serving', async () => {
    upstream = upstream ?? (await startMockUpstream());
    gateway = await startGateway({
      config: { providers: [{ id: 'sim', type: 'openai', base_url: upstream.url }], models: [{ name: 'chat-model', provider: 'sim' }] },
    });
    // A key store that blows up on one specific key: an unexpected bug inside a stage.
    const verify = gateway.keyStore.verify.bind(gateway.keyStore);
    gateway.keyStore.verify = (presented: string) => {
      if (presented === 'sk-kagami-explode') throw new TypeError('boom');
      return verify(presented);
    };
    const res = await post(chatBody(), { authorization: 'Bearer sk-kagami-explode' });
    expect(res.status).toBe(500);
    expect(res.json.error).toMatchObject({ code: 'internal_error', type: 'server_error' });
    expect(res.json.error?.message).not.toContain('boom');
    expect((await post(chatBody())).status).toBe(200);
  });

  it('404 route_not_found for unknown routes and methods', async () => {
    await start();
    const res = await raw({ method: 'DELETE', path: '/v1/chat/completions', headers: { host: `127.0.0.1:${gateway.port}` } });
    expect(res.status).toBe(404);
    expect(res.json.error?.code).toBe('route_not_found');
  });
});
