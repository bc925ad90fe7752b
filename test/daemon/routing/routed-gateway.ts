// The real daemon app with a policy for routing tests: core-base's config loader, SQLite with
// the real KeyStore and AuditWriter, upstream pools to loopback upstreams, the policy runtime
// (routing state on an injected clock and seeded RNG) and routing's attempt policy, whose
// waits (backoff, retry-after) advance the fake clock instead of sleeping.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { stringify } from 'yaml';
import type { AuditRow } from '../../../shared/schemas/audit.js';
import { buildApp } from '../../../daemon/app.js';
import { createAuditStore, parseEntry } from '../../../daemon/audit/audit-store.js';
import { createAuditWriter } from '../../../daemon/audit/audit-writer.js';
import { parseConfig } from '../../../daemon/config/load-config.js';
import { createRequestEvents } from '../../../daemon/events/channels.js';
import { parsePolicy } from '../../../daemon/policy/load-policy.js';
import { createPolicyRuntime, type PolicyRuntime } from '../../../daemon/policy/policy-runtime.js';
import { adapterIds, findAdapter } from '../../../daemon/providers/index.js';
import { createRoutingAttemptPolicy } from '../../../daemon/routing/attempt-policy.js';
import type { BreakerOptions } from '../../../daemon/routing/circuit-breaker.js';
import type { BackoffOptions, RetryBudgetOptions } from '../../../daemon/routing/retry.js';
import { seededRandom } from '../../../daemon/routing/strategies.js';
import { openDatabase } from '../../../daemon/store/db.js';
import { KeyStore } from '../../../daemon/store/keys-store.js';
import { createUpstreams } from '../../../daemon/upstream/upstreams.js';

export interface RoutedGatewayOptions {
  readonly policy: string;
  /** Provider connections: id → base URL (+ on_prem, timeouts). */
  readonly providers: readonly { id: string; url: string; type?: string; on_prem?: boolean; timeouts?: Record<string, number> }[];
  readonly models?: readonly Record<string, unknown>[];
  readonly seed?: number;
  readonly breaker?: Omit<BreakerOptions, 'now'>;
  readonly retryBudget?: Omit<RetryBudgetOptions, 'now'>;
  readonly backoff?: BackoffOptions;
}

export interface RoutedGateway {
  readonly app: FastifyInstance;
  readonly runtime: PolicyRuntime;
  readonly client: OpenAI;
  readonly baseURL: string;
  readonly apiKey: string;
  /** The fake clock every routing part reads (ms). */
  readonly clock: { now: number };
  /** Every wait the attempt policy asked for (ms), in order. */
  readonly sleeps: number[];
  auditRows(): AuditRow[];
  close(): Promise<void>;
}

export async function startRoutedGateway(options: RoutedGatewayOptions): Promise<RoutedGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kagami-routing-'));
  const config = parseConfig(
    stringify({
      data_dir: dataDir,
      listen: { host: '127.0.0.1', port: 0 },
      providers: options.providers.map((p) => ({
        id: p.id,
        type: p.type ?? 'openai',
        base_url: p.url,
        on_prem: p.on_prem ?? false,
        timeouts: { connect_ms: 1000, first_byte_ms: 5000, idle_ms: 5000, total_ms: 20_000, ...p.timeouts },
      })),
      models: options.models ?? [],
    }),
    'test.yaml',
    { env: {}, providerTypes: adapterIds() },
  );
  const db = openDatabase(dataDir);
  const keyStore = new KeyStore(db, { refreshMs: 0 });
  const auditWriter = createAuditWriter(db);
  const upstreams = createUpstreams(config.providers, findAdapter);
  const clock = { now: 1_767_225_600_000 };
  const now = (): number => clock.now;
  const sleeps: number[] = [];
  const runtime = createPolicyRuntime({
    config,
    db: null,
    policy: parsePolicy(options.policy, 'policy.yaml'),
    upstreams,
    now,
    random: seededRandom(options.seed ?? 42),
    healthTimers: false,
    ...(options.breaker ? { breaker: options.breaker } : {}),
    ...(options.retryBudget ? { retryBudget: options.retryBudget } : {}),
  });
  const attemptPolicy = createRoutingAttemptPolicy(runtime.routing, {
    health: runtime.health,
    ...(options.backoff ? { backoff: options.backoff } : {}),
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.now += ms;
    },
  });
  // The policy runtime reaches applyPolicy (and the admin routes) through the app's deps.
  const policyDeps = { policyRuntime: runtime, attemptPolicy };
  const app = buildApp({
    config,
    keyStore,
    auditWriter,
    events: createRequestEvents(),
    adminToken: 'test-admin-token-0123456789abcdef',
    version: 'test',
    upstreams,
    ...policyDeps,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const { key } = keyStore.create({ tenant: 'acme', user: 'alice' });
  const baseURL = `http://127.0.0.1:${port}/v1`;
  return {
    app,
    runtime,
    client: new OpenAI({ apiKey: key, baseURL, maxRetries: 0 }),
    baseURL,
    apiKey: key,
    clock,
    sleeps,
    auditRows() {
      const rows: AuditRow[] = [];
      for (const entry of createAuditStore(db).readAfter(0, 10_000)) {
        const parsed = parseEntry(entry);
        if (parsed.kind === 'request') rows.push(parsed.row);
      }
      return rows;
    },
    async close() {
      await app.close();
      runtime.close();
      await upstreams.close();
      await auditWriter.close();
      keyStore.close();
      db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
