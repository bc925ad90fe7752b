// /admin/provider-keys against the real OS keychain (gnome-keyring's Secret Service under
// dbus-run-session in CI) and a real upstream (the mock-upstream, requiring an API key), on
// the real daemon app. Without a Secret Service it skips with the reason, except in CI.
import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestContext } from 'vitest';
import { createProviderKeyRoutes } from '../../../../daemon/api/admin/provider-keys.js';
import { parseConfig } from '../../../../daemon/config/load-config.js';
import { registerErrorHandler } from '../../../../daemon/http/error-handler.js';
import { startMockUpstream, type MockUpstream } from '../../../../daemon/mock-upstream/server.js';
import { adapterIds, findAdapter } from '../../../../daemon/providers/index.js';
import { deleteKeychainSecret, KeychainUnavailableError, readKeychainSecret, writeKeychainSecret } from '../../../../daemon/secrets/keychain.js';
import type { ProviderKeyInfo, ProviderKeyTest } from '../../../../shared/schemas/provider-keys.js';
import { startGateway, type TestGateway } from '../../../support/gateway.js';
import { keychainProblem, requireKeychain as requireKeychainIn } from '../../../support/keychain.js';

const unavailable = keychainProblem();
const requireKeychain = (ctx: TestContext): void => requireKeychainIn(ctx, unavailable);

const GOOD_KEY = `sk-good-${randomBytes(12).toString('hex')}GOOD`;
const WRONG_KEY = `sk-wrong-${randomBytes(12).toString('hex')}BADX`;

describe('/admin/provider-keys (daemon/api/admin/provider-keys.ts)', () => {
  // Unique connection ids, so a developer's real "kagami" entries are never touched.
  const id = `test-${randomBytes(5).toString('hex')}`;
  const envId = `${id}-env`;
  const account = `provider:${id}`;
  let upstream: MockUpstream;
  let gateway: TestGateway | undefined;

  const call = async (method: string, path: string, body?: unknown, token: string | null = gateway!.adminToken): Promise<{ status: number; text: string; json: unknown }> => {
    const res = await fetch(`${gateway!.origin}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, text, json: text ? JSON.parse(text) : null };
  };
  const listed = async (): Promise<ProviderKeyInfo[]> => ((await call('GET', '/admin/provider-keys')).json as ProviderKeyInfo[]).filter((k) => k.provider.startsWith(id));

  /** The daemon with one connection reading `provider:<id>` and one reading an env var. */
  const start = async (): Promise<void> => {
    gateway = await startGateway({
      env: { TEST_PROVIDER_KEY: GOOD_KEY },
      config: {
        providers: [
          { id, type: 'openai', base_url: upstream.url, api_key: { keychain: account } },
          { id: envId, type: 'openai', base_url: upstream.url, api_key: { env: 'TEST_PROVIDER_KEY' } },
        ],
        models: [
          { name: 'kc-chat', provider: id, model: 'upstream-chat', capabilities: { chat: true } },
          { name: 'env-chat', provider: envId, model: 'upstream-chat', capabilities: { chat: true } },
        ],
      },
    });
  };

  beforeEach(async () => {
    upstream = await startMockUpstream({ apiKey: GOOD_KEY });
  });
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
    await upstream.close();
    if (unavailable === null) for (const a of [account, `provider:${envId}`]) deleteKeychainSecret(a);
  });

  it('adds, tests, replaces, re-tests and deletes a key; answers never carry it', async (ctx) => {
    requireKeychain(ctx);
    writeKeychainSecret(account, WRONG_KEY); // the config names the entry, so it must exist at load
    await start();
    const bodies: string[] = [];

    const failed = await call('POST', `/admin/provider-keys/${id}/test`);
    bodies.push(failed.text);
    expect(failed.status).toBe(200);
    expect(failed.json).toMatchObject({ provider: id, ok: false, status: 502, source: `keychain:${account}`, model: 'kc-chat', hint: null } satisfies Partial<ProviderKeyTest>);
    expect((failed.json as ProviderKeyTest).message).toMatch(/refused the gateway's credentials \(401\): Incorrect API key/);

    const replaced = await call('POST', '/admin/provider-keys', { provider: id, key: GOOD_KEY });
    bodies.push(replaced.text);
    expect(replaced.status).toBe(200);
    const info = replaced.json as ProviderKeyInfo;
    expect(info).toMatchObject({ provider: id, account, last4: 'GOOD' });
    expect(info.fingerprint).toMatch(/^[0-9a-f]{12}$/);
    // The daemon's own reader (what a config load or restart uses) sees the new key.
    expect(readKeychainSecret(account)).toBe(GOOD_KEY);

    // The test call reads the entry afresh: the running daemon loaded WRONG_KEY, yet this passes.
    const passed = await call('POST', `/admin/provider-keys/${id}/test`);
    bodies.push(passed.text);
    expect(passed.json).toMatchObject({ ok: true, status: null, message: null });
    expect(upstream.stats.byPath['/v1/chat/completions']).toBe(2);

    const list = await call('GET', '/admin/provider-keys');
    bodies.push(list.text);
    expect((list.json as ProviderKeyInfo[]).filter((k) => k.provider.startsWith(id))).toEqual([info]);

    const deleted = await call('DELETE', `/admin/provider-keys/${id}`);
    expect(deleted.json).toEqual({ deleted: true });
    expect(readKeychainSecret(account)).toBeNull();
    expect(await listed()).toEqual([]);
    expect((await call('DELETE', `/admin/provider-keys/${id}`)).json).toEqual({ deleted: false });

    for (const body of bodies) for (const key of [GOOD_KEY, WRONG_KEY]) expect(body).not.toContain(key.slice(0, -4));
  });

  it('a key stored through the API is what the daemon loads for `api_key: { keychain: provider:<id> }`', async (ctx) => {
    requireKeychain(ctx);
    writeKeychainSecret(account, WRONG_KEY);
    await start();
    await call('POST', '/admin/provider-keys', { provider: id, key: GOOD_KEY });
    await gateway!.close();
    gateway = undefined;
    // A restart: the config loader resolves the ref from the same entry, and real requests pass.
    await start();
    const client = new OpenAI({ apiKey: gateway!.apiKey, baseURL: gateway!.baseURL, maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: 'kc-chat', messages: [{ role: 'user', content: 'hi' }] });
    expect(answer.choices[0]?.message.role).toBe('assistant');
    const config = parseConfig(`providers: [{ id: ${id}, type: openai, api_key: { keychain: "${account}" } }]`, 'check.yaml', { providerTypes: adapterIds() });
    expect(config.providers[0]?.secrets.api_key).toBe(GOOD_KEY);
  });

  it('says when a stored key is not the one the config uses', async (ctx) => {
    requireKeychain(ctx);
    writeKeychainSecret(account, GOOD_KEY);
    await start();
    await call('POST', '/admin/provider-keys', { provider: envId, key: WRONG_KEY });
    const result = (await call('POST', `/admin/provider-keys/${envId}/test`)).json as ProviderKeyTest;
    // The env var's key is used (as real requests do), and the hint names the fix.
    expect(result).toMatchObject({ ok: true, source: 'env:TEST_PROVIDER_KEY' });
    expect(result.hint).toContain(`api_key: { keychain: "provider:${envId}" }`);
  });

  it('refuses bad input without echoing it, and requires the admin token', async (ctx) => {
    requireKeychain(ctx);
    writeKeychainSecret(account, GOOD_KEY);
    await start();
    const spaced = 'sk-has a space-0123456789';
    const bad = await call('POST', '/admin/provider-keys', { provider: id, key: spaced });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: { code: 'invalid_request', param: 'key' } });
    expect(bad.text).not.toContain('has a space');

    expect((await call('POST', '/admin/provider-keys', { provider: '../etc', key: GOOD_KEY })).status).toBe(400);
    expect((await call('POST', '/admin/provider-keys', { provider: id, key: GOOD_KEY, extra: 1 })).status).toBe(400);
    expect((await call('DELETE', '/admin/provider-keys/bad%20id')).status).toBe(400);
    expect((await call('POST', '/admin/provider-keys/no-such-connection/test')).status).toBe(404);

    for (const [method, path, body] of [
      ['GET', '/admin/provider-keys', undefined],
      ['POST', '/admin/provider-keys', { provider: id, key: WRONG_KEY }],
      ['DELETE', `/admin/provider-keys/${id}`, undefined],
      ['POST', `/admin/provider-keys/${id}/test`, undefined],
    ] as const) {
      expect((await call(method, path, body, null)).status).toBe(401);
      expect((await call(method, path, body, 'not-the-admin-token')).status).toBe(401);
    }
    expect(readKeychainSecret(account)).toBe(GOOD_KEY);
    expect(upstream.stats.requests).toBe(0);
  });
});

describe('/admin/provider-keys without a reachable keychain', () => {
  it('answers 503 keychain_unavailable with the reason, for every route', async () => {
    const down = (): never => {
      throw new KeychainUnavailableError('list', new Error('org.freedesktop.DBus.Error.ServiceUnknown'));
    };
    const app = Fastify();
    registerErrorHandler(app);
    app.register(
      createProviderKeyRoutes({
        config: { providers: [], models: [] },
        findAdapter,
        adminToken: 'admin-token-for-this-test',
        keychain: { read: down, write: down, delete: down, list: down },
      }),
    );
    try {
      for (const [method, url, payload] of [
        ['GET', '/admin/provider-keys', undefined],
        ['POST', '/admin/provider-keys', { provider: 'openai', key: 'sk-some-key-123456' }],
        ['DELETE', '/admin/provider-keys/openai', undefined],
      ] as const) {
        const res = await app.inject({ method, url, headers: { authorization: 'Bearer admin-token-for-this-test' }, ...(payload ? { payload } : {}) });
        expect(res.statusCode, `${method} ${url}`).toBe(503);
        expect(res.json()).toMatchObject({ error: { code: 'keychain_unavailable', type: 'server_error' } });
        expect(res.body).toContain('ServiceUnknown');
        expect(res.body).not.toContain('sk-some-key');
      }
    } finally {
      await app.close();
    }
  });

  it('still tests a key: keyless providers as usual, keychain ones with the key loaded at start, saying so', async () => {
    const down = (): never => {
      throw new KeychainUnavailableError('read', new Error('locked'));
    };
    const upstream = await startMockUpstream({ apiKey: GOOD_KEY });
    const open = await startMockUpstream();
    const config = parseConfig(
      [
        'providers:',
        `  - { id: kc, type: openai, base_url: "${upstream.url}", api_key: { keychain: "provider:kc" } }`,
        `  - { id: keyless, type: openai, base_url: "${open.url}" }`,
        'models:',
        '  - { name: kc-chat, provider: kc, model: m, capabilities: { chat: true } }',
        '  - { name: open-chat, provider: keyless, model: m, capabilities: { chat: true } }',
      ].join('\n'),
      'test.yaml',
      { providerTypes: adapterIds(), readSecret: () => GOOD_KEY },
    );
    const app = Fastify();
    registerErrorHandler(app);
    app.register(createProviderKeyRoutes({ config, findAdapter, adminToken: 'admin-token-for-this-test', keychain: { read: down, write: down, delete: down, list: down } }));
    try {
      const test = async (provider: string) =>
        (await app.inject({ method: 'POST', url: `/admin/provider-keys/${provider}/test`, headers: { authorization: 'Bearer admin-token-for-this-test' } })).json() as ProviderKeyTest;
      expect(await test('kc')).toMatchObject({ ok: true, source: 'keychain:provider:kc', hint: expect.stringContaining('not reachable') });
      expect(await test('keyless')).toMatchObject({ ok: true, source: null, hint: null });
    } finally {
      await app.close();
      await upstream.close();
      await open.close();
    }
  });
});
