// Starts the real daemon app for a test: config through core-base's loader, a real SQLite
// file in a temp data dir with the real KeyStore and AuditWriter, buildApp + listen on
// 127.0.0.1 port 0. close() shuts everything down and removes the data dir.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { stringify } from 'yaml';
import type { AuditRow } from '../../shared/schemas/audit.js';
import type { Config } from '../../shared/schemas/config.js';
import { buildApp, type AppExtras } from '../../daemon/app.js';
import { createAuditStore, parseEntry } from '../../daemon/audit/audit-store.js';
import { createAuditWriter, type AuditWriter } from '../../daemon/audit/audit-writer.js';
import { parseConfig } from '../../daemon/config/load-config.js';
import { createRequestEvents, type RequestEvents } from '../../daemon/events/channels.js';
import { adapterIds } from '../../daemon/providers/index.js';
import { openDatabase, type SqliteDatabase } from '../../daemon/store/db.js';
import { KeyStore } from '../../daemon/store/keys-store.js';

export interface TestGateway {
  readonly app: FastifyInstance;
  readonly config: Config;
  /** http://127.0.0.1:<port> */
  readonly origin: string;
  readonly port: number;
  /** origin + /v1, for the openai SDK's baseURL. */
  readonly baseURL: string;
  readonly db: SqliteDatabase;
  readonly keyStore: KeyStore;
  readonly auditWriter: AuditWriter;
  readonly events: RequestEvents;
  /** A virtual key created for tenant "acme", user "alice". */
  readonly apiKey: string;
  readonly adminToken: string;
  /** Committed audit request rows, oldest first (read back from SQLite). */
  auditRows(): AuditRow[];
  close(): Promise<void>;
}

export interface GatewayOptions extends AppExtras {
  /** Config file content as an object (YAML-serialized and loaded by the real loader). */
  readonly config: Record<string, unknown>;
  /** Secrets by env var name for `api_key: { env: … }` refs. */
  readonly env?: Record<string, string>;
  readonly heartbeatMs?: number;
}

/**
 * The config most gateway tests need: one OpenAI-compatible upstream (a mock upstream at
 * `upstreamUrl`) as provider `sim`, exposed as model `chat-model` (upstream model
 * `upstream-chat`); `extra` adds top-level blocks (redaction, limits, …).
 */
export function oneModelConfig(upstreamUrl: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    providers: [{ id: 'sim', type: 'openai', base_url: upstreamUrl }],
    models: [{ name: 'chat-model', provider: 'sim', model: 'upstream-chat', capabilities: { chat: true } }],
    ...extra,
  };
}

export async function startGateway(options: GatewayOptions): Promise<TestGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kagami-test-'));
  const config = parseConfig(stringify({ data_dir: dataDir, listen: { host: '127.0.0.1', port: 0 }, ...options.config }), 'test.yaml', {
    env: options.env ?? {},
    providerTypes: adapterIds(),
  });
  const db = openDatabase(dataDir);
  const keyStore = new KeyStore(db, { refreshMs: 0 });
  const auditWriter = createAuditWriter(db);
  const events = createRequestEvents();
  const adminToken = 'test-admin-token-0123456789abcdef';
  const app = buildApp({
    config,
    keyStore,
    auditWriter,
    events,
    adminToken,
    version: 'test',
    ...(options.upstreams ? { upstreams: options.upstreams } : {}),
    ...(options.attemptPolicy ? { attemptPolicy: options.attemptPolicy } : {}),
    ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const { key } = keyStore.create({ tenant: 'acme', user: 'alice' });
  const origin = `http://127.0.0.1:${port}`;
  return {
    app,
    config,
    origin,
    port,
    baseURL: `${origin}/v1`,
    db,
    keyStore,
    auditWriter,
    events,
    apiKey: key,
    adminToken,
    auditRows() {
      const store = createAuditStore(db);
      const rows: AuditRow[] = [];
      for (const entry of store.readAfter(0, 10_000)) {
        const parsed = parseEntry(entry);
        if (parsed.kind === 'request') rows.push(parsed.row);
      }
      return rows;
    },
    async close() {
      await app.close();
      await auditWriter.close();
      keyStore.close();
      db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
