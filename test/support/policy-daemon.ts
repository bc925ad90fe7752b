// Runs the real daemon (`startDaemon`, the code behind `kagami start`) under a policy file, in
// front of two real local upstreams: `onprem` (a vLLM-type provider marked on_prem) and `cloud`
// (an OpenAI-type provider). The policy runtime's clock is injected, so rate-limit refills,
// budget periods and cache TTLs move only when a test moves it. Virtual keys are created in
// SQLite before the daemon starts (it loads them at start), and restart() stops the daemon and
// starts it again on the same data dir, as a user restarting `kagami start` would.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../../daemon/store/sqlite-driver.js';
import OpenAI from 'openai';
import type { AuditRow } from '../../shared/schemas/audit.js';
import { createAuditStore, parseEntry } from '../../daemon/audit/audit-store.js';
import { startDaemon, type RunningDaemon } from '../../daemon/cli/start.js';
import { startMockUpstream, type MockUpstream, type MockUpstreamOptions } from '../../daemon/mock-upstream/server.js';
import { openDatabase, type SqliteDatabase } from '../../daemon/store/db.js';
import { KeyStore } from '../../daemon/store/keys-store.js';
import { forgetCheckpointKey } from '../daemon/audit/trail-db.js';

/** 2026-11-23 10:00:00 UTC, a Monday. */
export const START_TIME = Date.UTC(2026, 10, 23, 10, 0, 0);

export interface TestClock {
  now(): number;
  advance(ms: number): void;
  set(ms: number): void;
}

export function createTestClock(start = START_TIME): TestClock {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
    set: (ms) => {
      t = ms;
    },
  };
}

export interface KeySpec {
  readonly tenant: string;
  readonly user: string;
  readonly role?: string;
}

export interface PolicyDaemonOptions {
  /** Policy YAML (endpoints may use providers `onprem` and `cloud`). */
  readonly policy: string;
  /** Virtual keys by name. */
  readonly keys: Readonly<Record<string, KeySpec>>;
  readonly onprem?: MockUpstreamOptions;
  readonly cloud?: MockUpstreamOptions;
  /** Point the `cloud` provider at this base URL instead of its mock (a hand-written upstream). */
  readonly cloudUrl?: string;
  /** Extra config YAML lines (e.g. a `redaction:` block). */
  readonly extraConfig?: readonly string[];
  readonly clock?: TestClock;
}

export interface PolicyDaemon {
  readonly onprem: MockUpstream;
  readonly cloud: MockUpstream;
  readonly clock: TestClock;
  readonly dataDir: string;
  daemon: RunningDaemon;
  /** The official OpenAI client with the named virtual key (no SDK retries). */
  client(key: string): OpenAI;
  /** The raw virtual key. */
  key(name: string): string;
  /** Audit request rows, oldest first, once every row handed to the writer is committed (read through a second SQLite connection). */
  auditRows(): Promise<AuditRow[]>;
  /** Details of the administrative audit events of one type, oldest first. */
  adminEvents(type: string): Record<string, unknown>[];
  admin(path: string): Promise<unknown>;
  /** Stops the daemon (draining, flushing) and starts it again on the same data dir. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startPolicyDaemon(options: PolicyDaemonOptions): Promise<PolicyDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'kagami-policy-'));
  const dataDir = join(dir, 'data');
  const clock = options.clock ?? createTestClock();
  const onprem = await startMockUpstream({ reply: 'from onprem', ...options.onprem });
  const cloud = await startMockUpstream({ reply: 'from cloud', ...options.cloud });
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, options.policy);
  const configFile = join(dir, 'kagami.yaml');
  writeFileSync(
    configFile,
    [
      'providers:',
      `  - { id: onprem, type: vllm, base_url: "${onprem.url}", on_prem: true }`,
      `  - { id: cloud, type: openai, base_url: "${options.cloudUrl ?? cloud.url}" }`,
      'models:',
      '  - { name: chat, provider: cloud, model: kagami-sim-chat, price: { input_per_1m: 1, output_per_1m: 2 } }',
      '  - { name: embed, provider: cloud, model: kagami-sim-embed, capabilities: { chat: false, embeddings: true } }',
      'policy:',
      `  file: "${policyFile}"`,
      ...(options.extraConfig ?? []),
      '',
    ].join('\n'),
  );

  const keys = new Map<string, string>();
  const store = openDatabase(dataDir);
  const keyStore = new KeyStore(store);
  for (const [name, spec] of Object.entries(options.keys)) keys.set(name, keyStore.create({ ...spec }).key);
  keyStore.close();
  store.close();

  const start = (): Promise<RunningDaemon> =>
    startDaemon({ configFile, overrides: { port: 0, data_dir: dataDir }, createFirstKey: false, now: clock.now });

  const readDb = <T>(read: (db: SqliteDatabase) => T): T => {
    const db = new Database(join(dataDir, 'kagami.db'), { readonly: true });
    try {
      return read(db);
    } finally {
      db.close();
    }
  };

  const harness: PolicyDaemon = {
    onprem,
    cloud,
    clock,
    dataDir,
    daemon: await start(),
    client(name) {
      return new OpenAI({ baseURL: `${harness.daemon.url}/v1`, apiKey: harness.key(name), maxRetries: 0 });
    },
    key(name) {
      const key = keys.get(name);
      if (key === undefined) throw new Error(`no key named ${name}`);
      return key;
    },
    async auditRows() {
      await harness.daemon.flushAudit();
      return readDb((db) => {
        const rows: AuditRow[] = [];
        for (const entry of createAuditStore(db as never).readAfter(0, 10_000)) {
          const parsed = parseEntry(entry);
          if (parsed.kind === 'request') rows.push(parsed.row);
        }
        return rows;
      });
    },
    adminEvents(type) {
      return readDb((db) =>
        (db.prepare('SELECT details FROM audit_admin_events WHERE type = ? ORDER BY seq').all(type) as { details: string }[]).map(
          (row) => JSON.parse(row.details) as Record<string, unknown>,
        ),
      );
    },
    async admin(path) {
      const response = await fetch(`${harness.daemon.url}${path}`, { headers: { authorization: `Bearer ${harness.daemon.adminToken}` } });
      if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`);
      return response.json();
    },
    async restart() {
      await harness.daemon.close();
      harness.daemon = await start();
    },
    async close() {
      await harness.daemon.close();
      await onprem.close();
      await cloud.close();
      forgetCheckpointKey(dataDir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}
