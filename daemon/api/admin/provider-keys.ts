// /admin/provider-keys: provider API keys in the OS keychain (service "kagami", account
// "provider:<id>"), for the web UI and scripts (the desktop app writes the keychain itself
// from Electron main). Answers carry a fingerprint and the last 4 characters, never a key.
// POST …/:provider/test makes one minimal call (max_tokens 1, or a one-word embedding) to the
// provider through the daemon's own adapter and transport, with the key the config points at
// read afresh from the keychain, so a freshly added key is checked before a restart loads it.

import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { Compile } from 'typebox/compile';
import { GatewayError, isGatewayError } from '../../../shared/errors.js';
import type { Config, ResolvedProvider } from '../../../shared/schemas/config.js';
import { ProviderId, SetProviderKey, type ProviderKeyInfo, type ProviderKeyTest } from '../../../shared/schemas/provider-keys.js';
import { createAdminAuth } from '../../http/admin-auth.js';
import type { ProviderAdapter, WireCall } from '../../providers/types.js';
import {
  deleteKeychainSecret,
  KeychainUnavailableError,
  listKeychainAccounts,
  readKeychainSecret,
  writeKeychainSecret,
  type KeychainAccount,
} from '../../secrets/keychain.js';
import { sendToUpstream } from '../../upstream/send.js';
import { createUpstreams } from '../../upstream/upstreams.js';

/** The keychain functions of daemon/secrets/keychain.ts (another implementation in tests). */
export interface Keychain {
  read(account: string): string | null;
  write(account: string, value: string): void;
  delete(account: string): boolean;
  list(): KeychainAccount[];
}

export interface ProviderKeyRoutesDeps {
  readonly config: Pick<Config, 'providers' | 'models'>;
  readonly findAdapter: (type: string) => ProviderAdapter | undefined;
  readonly adminToken?: string | undefined;
  readonly keychain?: Keychain;
  /** Time budget of a test call (default 15 s). */
  readonly testTimeoutMs?: number;
}

const ACCOUNT_PREFIX = 'provider:';
const checkSet = Compile(SetProviderKey);
const checkId = Compile(ProviderId);
const Params = Type.Object({ provider: Type.String() });

const osKeychain: Keychain = {
  read: readKeychainSecret,
  write: writeKeychainSecret,
  delete: deleteKeychainSecret,
  list: listKeychainAccounts,
};

/**
 * A Secret Service listing finds the items, then reads each: an item deleted in between (by
 * the desktop app, the CLI, another test) fails the whole listing. That is no outage: list again.
 */
function listSettled(list: () => KeychainAccount[]): () => KeychainAccount[] {
  return () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return list();
      } catch (error) {
        if (attempt >= 5 || !(error instanceof KeychainUnavailableError) || !/does not exist|no such (object|item)/i.test(error.message)) throw error;
      }
    }
  };
}

/** The keychain as an admin route uses it: an unreachable Secret Service is a clear 503. */
function guardKeychain(keychain: Keychain): Keychain {
  const guard =
    <A extends unknown[], R>(run: (...args: A) => R) =>
    (...args: A): R => {
      try {
        return run(...args);
      } catch (error) {
        if (error instanceof KeychainUnavailableError) throw new GatewayError('keychain_unavailable', error.message, { cause: error });
        throw error;
      }
    };
  return { read: guard(keychain.read), write: guard(keychain.write), delete: guard(keychain.delete), list: guard(listSettled(keychain.list)) };
}

/** The keychain's answer, or undefined when it cannot be reached (a test call can go on without it). */
function withoutKeychain<T>(run: () => T): T | undefined {
  try {
    return run();
  } catch (error) {
    if (isGatewayError(error) && error.code === 'keychain_unavailable') return undefined;
    throw error;
  }
}

function providerIdParam(params: unknown): string {
  const provider = (params as { provider?: unknown }).provider;
  if (typeof provider !== 'string' || !checkId.Check(provider)) throw new GatewayError('invalid_request', 'provider must be a provider connection id', { param: 'provider' });
  return provider;
}

/**
 * The key a test call uses: the one the config's `api_key` ref names, read now (a keychain
 * entry may have changed since the config was loaded). Without a ref the call goes keyless,
 * as real requests do, and the hint says how to make the stored `provider:<id>` key count.
 */
function currentKey(provider: ResolvedProvider, keychain: Keychain): { key: string | null; source: string | null; hint: string | null } {
  const ref = provider.api_key;
  const account = `${ACCOUNT_PREFIX}${provider.id}`;
  const loaded = provider.secrets.api_key ?? null;
  if (ref && 'keychain' in ref) {
    const stored = withoutKeychain(() => keychain.read(ref.keychain));
    if (stored === undefined) return { key: loaded, source: `keychain:${ref.keychain}`, hint: 'The keychain is not reachable now: tested with the key the daemon loaded at start.' };
    return { key: stored ?? loaded, source: `keychain:${ref.keychain}`, hint: null };
  }
  const stored = (withoutKeychain(() => keychain.read(account)) ?? null) !== null;
  const hint = stored ? `A key is stored under keychain:${account}, but the config does not use it: set api_key: { keychain: "${account}" } on provider "${provider.id}".` : null;
  if (ref && 'env' in ref) return { key: loaded, source: `env:${ref.env}`, hint };
  return { key: null, source: null, hint };
}

export function createProviderKeyRoutes(deps: ProviderKeyRoutesDeps): FastifyPluginAsync {
  const keychain = guardKeychain(deps.keychain ?? osKeychain);
  const describe = (account: KeychainAccount): ProviderKeyInfo => ({
    provider: account.account.slice(ACCOUNT_PREFIX.length),
    account: account.account,
    fingerprint: account.fingerprint,
    last4: account.last4,
  });
  const providerKeys = (): ProviderKeyInfo[] =>
    keychain
      .list()
      .filter((a) => a.account.startsWith(ACCOUNT_PREFIX) && checkId.Check(a.account.slice(ACCOUNT_PREFIX.length)))
      .map(describe);

  const testKey = async (providerId: string): Promise<ProviderKeyTest> => {
    const provider = deps.config.providers.find((p) => p.id === providerId);
    if (!provider) throw new GatewayError('route_not_found', `No provider connection '${providerId}' in the config`, { param: 'provider' });
    const { key, source, hint } = currentKey(provider, keychain);
    const model = deps.config.models.find((m) => m.provider === providerId && m.capabilities.chat !== false) ?? deps.config.models.find((m) => m.provider === providerId);
    const result = { provider: providerId, source, hint, model: model?.name ?? null, status: null, latency_ms: null };
    if (!model) return { ...result, ok: false, message: 'No model in the config uses this provider, so there is nothing to call.' };

    const secrets = { ...provider.secrets };
    if (key === null) delete secrets.api_key;
    else secrets.api_key = key;
    const upstreams = createUpstreams([{ ...provider, secrets }], deps.findAdapter);
    const upstream = upstreams.get(providerId);
    if (!upstream) throw new GatewayError('internal_error', `No upstream built for provider '${providerId}'`);
    const chat = model.capabilities.chat !== false;
    const call: WireCall = {
      op: chat ? 'chat' : 'embedding',
      body: chat ? { model: model.model, messages: [{ role: 'user', content: 'ping' }], max_tokens: 1 } : { model: model.model, input: 'ping' },
      upstreamModel: model.model,
      stream: false,
      connection: upstream.connection,
    };
    const startedAt = performance.now();
    const elapsed = (): number => Math.round(performance.now() - startedAt);
    try {
      await sendToUpstream(upstream, call, { signal: AbortSignal.timeout(deps.testTimeoutMs ?? 15_000) });
      return { ...result, ok: true, message: null, latency_ms: elapsed() };
    } catch (error) {
      // GatewayErrors carry the upstream's status and message (never request headers, so never the key).
      const status = isGatewayError(error) ? error.status : null;
      const message = error instanceof Error ? error.message : String(error);
      return { ...result, ok: false, status, message, latency_ms: elapsed() };
    } finally {
      await upstreams.close();
    }
  };

  return async function providerKeyRoutes(app) {
    app.addHook('onRequest', createAdminAuth(deps.adminToken));
    app.get('/admin/provider-keys', async (): Promise<ProviderKeyInfo[]> => providerKeys());
    app.post('/admin/provider-keys', async (request): Promise<ProviderKeyInfo> => {
      if (!checkSet.Check(request.body)) {
        const first = checkSet.Errors(request.body)[0];
        const field = first?.instancePath.replace(/^\//, '') || null;
        // Never echo the body: it may hold a key.
        throw new GatewayError('invalid_request', `Body must be {"provider": "<connection id>", "key": "<api key: 8-8192 printable characters, no spaces>"}${first ? `: ${field ?? '/'} ${first.message}` : ''}`, {
          param: field,
        });
      }
      const { provider, key } = request.body;
      keychain.write(`${ACCOUNT_PREFIX}${provider}`, key);
      const info = providerKeys().find((k) => k.provider === provider);
      if (!info) throw new GatewayError('keychain_unavailable', 'The keychain did not keep the key');
      return info;
    });
    app.delete('/admin/provider-keys/:provider', { schema: { params: Params } }, async (request) => ({
      deleted: keychain.delete(`${ACCOUNT_PREFIX}${providerIdParam(request.params)}`),
    }));
    app.post('/admin/provider-keys/:provider/test', { schema: { params: Params } }, async (request) => testKey(providerIdParam(request.params)));
  };
}
