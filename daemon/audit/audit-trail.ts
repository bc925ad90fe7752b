// The audit area as the daemon runs it, started by `kagami start` in one block: the writer the
// request path appends to, signed checkpoints (key in the OS keychain), the SIEM outbox with
// the sinks of the `siem:` config, retention on a timer, the administrative events of virtual
// keys created/revoked by the CLI, and the read side (query store, sink status) the admin API
// serves. close() runs it backwards: final checkpoint, stop the outbox (cursors are in SQLite,
// so delivery resumes at the next start), flush the writer.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Value } from 'typebox/value';
import type { SqliteDatabase } from '../store/db.js';
import { AuditConfig } from '../../shared/schemas/audit.js';
import type { Config } from '../../shared/schemas/config.js';
import { SiemConfig, type SiemStatus, type SinkConfig } from '../../shared/schemas/siem.js';
import { describeSecretRef, readSecret } from '../secrets/read-secret.js';
import { createCursorStore } from '../siem/cursor-store.js';
import { createOutbox, realClock, type Outbox } from '../siem/outbox.js';
import { createSink } from '../siem/sinks.js';
import type { SiemSink, SinkDeps } from '../siem/sink.js';
import { KAGAMI_VERSION } from '../version.js';
import { createAuditQueryStore, type AuditQueryStore } from './audit-query-store.js';
import { createAuditStore } from './audit-store.js';
import { createAuditWriter, type AuditWriter } from './audit-writer.js';
import { loadCheckpointKey, type KeyBackend } from './checkpoint-key.js';
import { CHECKPOINT_FILE_NAME, createCheckpointer, type Checkpointer } from './checkpoints.js';
import { runRetention, type RetentionResult } from './retention.js';

const HOUR_MS = 3_600_000;
/** Retention runs shortly after start, then hourly. */
const RETENTION_FIRST_MS = 60_000;

// Without an `audit:` / `siem:` block, the schemas' own defaults (one source of truth).
const DEFAULT_AUDIT_CONFIG = Value.Default(AuditConfig, {}) as AuditConfig;
const DEFAULT_SIEM_CONFIG = Value.Default(SiemConfig, {}) as SiemConfig;

export interface AuditTrailOptions {
  readonly config: Pick<Config, 'data_dir'> & { readonly audit?: AuditConfig | undefined; readonly siem?: SiemConfig | undefined };
  readonly db: SqliteDatabase;
  /** Where the daemon's own notices go (stderr). */
  readonly log: (message: string) => void;
  /** The checkpoint key's home; the OS keychain by default. */
  readonly keychain?: KeyBackend;
}

export interface AuditTrail {
  readonly writer: AuditWriter;
  readonly query: AuditQueryStore;
  readonly outbox: Outbox;
  siemStatus(): SiemStatus;
  /** Prunes now (also runs hourly). */
  runRetention(): Promise<RetentionResult>;
  /** The daemon's KeyStore, watched for keys created/revoked by other processes (the CLI). */
  watchKeys(keys: { list(): readonly KeySnapshot[] }): void;
  close(): Promise<void>;
}

export interface KeySnapshot {
  readonly id: string;
  readonly tenant: string;
  readonly user: string;
  readonly createdAt: number;
  readonly revokedAt: number | null;
}

/** A sink from its config; a missing secret or file stops the start, naming the sink. */
function createConfiguredSink(config: SinkConfig, index: number, deps: SinkDeps): SiemSink {
  try {
    return createSink(config, deps);
  } catch (error) {
    throw new Error(`siem.sinks[${index}] (${config.id}): ${(error as Error).message}`, { cause: error });
  }
}

export function startAuditTrail(options: AuditTrailOptions): AuditTrail {
  const { db, log } = options;
  const audit = options.config.audit ?? DEFAULT_AUDIT_CONFIG;
  const siem = options.config.siem ?? DEFAULT_SIEM_CONFIG;
  const dataDir = options.config.data_dir;
  const store = createAuditStore(db);
  const writer = createAuditWriter(db, { store, log, commit: audit.commit, writer: audit.writer });
  const query = createAuditQueryStore(db);
  const cursors = createCursorStore(db);

  const sinkDeps: SinkDeps = {
    readSecret(ref) {
      const value = readSecret(ref);
      if (value === null) throw new Error(`${describeSecretRef(ref)} is not set`);
      return value;
    },
    readFile: (path) => readFileSync(path, 'utf8'),
    hostname: hostname(),
    version: KAGAMI_VERSION,
    sleep: realClock.sleep,
  };
  // Sinks first: a sink that cannot be built (secret unset, CA file missing) stops the start before anything runs.
  const sinks = siem.sinks.map((sinkConfig, index) => ({ sink: createConfiguredSink(sinkConfig, index, sinkDeps), batchSize: sinkConfig.batch_size ?? siem.batch_size }));

  const key = loadCheckpointKey({ dataDir, create: true, ...(options.keychain ? { keychain: options.keychain } : {}) })!;
  if (key.source === 'file') log(`kagami: no OS keychain reachable: the audit checkpoint key is kept in ${join(dataDir, 'audit-checkpoint.key')} (mode 0600)`);
  const checkpointer: Checkpointer = createCheckpointer({
    writer,
    key,
    file: join(dataDir, CHECKPOINT_FILE_NAME),
    everyRows: audit.checkpoint_every_rows,
    everyMs: audit.checkpoint_every_s * 1000,
  });

  const outbox = createOutbox({
    store,
    cursors,
    sinks,
    headSeq: () => writer.head().seq,
    maxBackoffMs: siem.max_backoff_s * 1000,
    timeoutMs: siem.timeout_s * 1000,
    onError: (sink, error) => log(`kagami: siem sink ${sink}: ${error.message} (will retry)`),
  });
  const stopKicking = writer.onCommit(() => outbox.kick());
  outbox.start();

  const sinkIds = siem.sinks.map((sink) => sink.id);
  const prune = () =>
    runRetention({
      store,
      writer,
      acknowledgedSeq: () => cursors.lowest(sinkIds),
      keepDays: audit.keep_days,
      archiveDir: audit.archive ? join(dataDir, 'archive') : null,
    });
  let pruning: Promise<RetentionResult> | null = null;
  const pruneOnce = () => {
    pruning ??= prune().finally(() => {
      pruning = null;
    });
    return pruning;
  };
  const pruneQuietly = () =>
    void pruneOnce().catch((error: unknown) => log(`kagami: audit retention failed: ${(error as Error).message}`));
  const firstPrune = setTimeout(pruneQuietly, RETENTION_FIRST_MS).unref();
  const hourlyPrune = setInterval(pruneQuietly, HOUR_MS).unref();

  const appendQuietly = (type: string, tenant: string | null, details: Record<string, unknown>) =>
    void writer.appendAdminEvent({ type, actor: 'daemon', tenant, details }).catch((error: unknown) => log(`kagami: could not audit ${type}: ${(error as Error).message}`));


  let keyWatch: NodeJS.Timeout | null = null;
  let checkKeys: (() => void) | null = null;
  return {
    writer,
    query,
    outbox,
    siemStatus: () => ({ head: writer.head().seq, sinks: outbox.status() }),
    runRetention: pruneOnce,
    watchKeys(keys) {
      // Keys are created and revoked by the `kagami keys` CLI in another process, which must
      // not append to the chain (this writer owns its head): the daemon notices the change,
      // every second and once more when it stops; at start it records what happened while it
      // was not running (the trail says which keys already have their event).
      const created = query.keyIdsWithEvent('key.created');
      const revoked = query.keyIdsWithEvent('key.revoked');
      checkKeys = () => {
        for (const k of keys.list()) {
          if (!created.has(k.id)) {
            created.add(k.id);
            appendQuietly('key.created', k.tenant, { key_id: k.id, user: k.user, created_at: k.createdAt });
          }
          if (k.revokedAt !== null && !revoked.has(k.id)) {
            revoked.add(k.id);
            appendQuietly('key.revoked', k.tenant, { key_id: k.id, user: k.user, revoked_at: k.revokedAt });
          }
        }
      };
      checkKeys();
      keyWatch = setInterval(checkKeys, 1000).unref();
    },
    async close() {
      if (keyWatch !== null) clearInterval(keyWatch);
      checkKeys?.();
      clearTimeout(firstPrune);
      clearInterval(hourlyPrune);
      if (pruning !== null) await pruning.catch(() => {});
      await checkpointer.close();
      stopKicking();
      await outbox.stop();
      await writer.close();
    },
  };
}
