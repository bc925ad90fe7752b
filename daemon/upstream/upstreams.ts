// The daemon's upstream connections: one keep-alive undici Pool per configured provider
// connection, with that connection's timeouts (connect, first byte, between chunks; the
// total budget is enforced per request in send.ts). Built once at start; closed on shutdown.
import { Pool } from 'undici';
import type { ResolvedProvider } from '../../shared/schemas/config.js';
import type { ProviderAdapter, ProviderConnection } from '../providers/types.js';

export interface ResolvedTimeouts {
  readonly connectMs: number;
  readonly firstByteMs: number;
  readonly idleMs: number;
  readonly totalMs: number;
}

export interface Upstream {
  readonly connection: ProviderConnection;
  readonly adapter: ProviderAdapter;
  readonly pool: Pool;
  readonly baseUrl: URL;
  /** Base URL path without a trailing slash ('' for an origin-only base URL). */
  readonly basePath: string;
  readonly timeouts: ResolvedTimeouts;
  /** Static auth headers (bearer / api-key style), computed once; signing adapters add theirs per request. */
  readonly authHeaders: Readonly<Record<string, string>>;
}

export interface Upstreams {
  get(providerId: string): Upstream | undefined;
  all(): Iterable<Upstream>;
  close(): Promise<void>;
}

function resolveTimeouts(timeouts: ResolvedProvider['timeouts']): ResolvedTimeouts {
  return { connectMs: timeouts.connect_ms, firstByteMs: timeouts.first_byte_ms, idleMs: timeouts.idle_ms, totalMs: timeouts.total_ms };
}

function staticAuthHeaders(adapter: ProviderAdapter, connection: ProviderConnection): Record<string, string> {
  const auth = adapter.auth;
  if (auth.kind !== 'bearer' && auth.kind !== 'header') return {};
  const secret = connection.secrets[auth.secret ?? 'api_key'];
  // A keyless connection (local vLLM / Ollama) sends no credentials at all.
  if (secret === undefined || secret === '') return {};
  return auth.kind === 'bearer' ? { authorization: `Bearer ${secret}` } : { [auth.name.toLowerCase()]: secret };
}

/** `findAdapter` is the provider registry's lookup; an unknown type is a config error. */
export function createUpstreams(
  providers: readonly ResolvedProvider[],
  findAdapter: (type: string) => ProviderAdapter | undefined,
): Upstreams {
  const byId = new Map<string, Upstream>();
  for (const provider of providers) {
    const adapter = findAdapter(provider.type);
    if (adapter === undefined) throw new Error(`providers: '${provider.id}' has unknown type '${provider.type}'`);
    const baseUrl = new URL(provider.base_url ?? adapter.defaultBaseUrl);
    const timeouts = resolveTimeouts(provider.timeouts);
    const pool = new Pool(baseUrl.origin, {
      connect: { timeout: timeouts.connectMs },
      headersTimeout: timeouts.firstByteMs,
      bodyTimeout: timeouts.idleMs,
      keepAliveTimeout: 30_000,
    });
    const basePath = baseUrl.pathname.endsWith('/') ? baseUrl.pathname.slice(0, -1) : baseUrl.pathname;
    const connection: ProviderConnection = {
      id: provider.id,
      type: provider.type,
      baseUrl: baseUrl.origin + basePath,
      options: provider.options,
      secrets: provider.secrets,
    };
    byId.set(provider.id, { connection, adapter, pool, baseUrl, basePath, timeouts, authHeaders: staticAuthHeaders(adapter, connection) });
  }
  return {
    get: (id) => byId.get(id),
    all: () => byId.values(),
    close: async () => {
      await Promise.all([...byId.values()].map((upstream) => upstream.pool.close()));
    },
  };
}
