// `kagami start`: boot the daemon, in this order: config (with the in-process simulator when
// there is no config file) → SQLite + migrations → virtual keys → admin token → audit writer →
// buildApp (daemon/app.ts) → listen. Shutdown (SIGINT/SIGTERM) runs it backwards: stop
// accepting and drain in-flight requests, flush the audit writer, close the database.
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../shared/schemas/config.js';
import { buildApp } from '../app.js';
import { createAuditQueryStore } from '../audit/audit-query-store.js';
import { startAuditTrail } from '../audit/audit-trail.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import { SIMULATOR_PROVIDER_ID } from '../config/defaults.js';
import { loadConfig } from '../config/load-config.js';
import { createMetrics } from '../metrics/metrics.js';
import { startTracing } from '../tracing/tracing.js';
import { createRequestEvents } from '../events/channels.js';
import { startMockUpstream } from '../mock-upstream/server.js';
import type { MockUpstream } from '../mock-upstream/server.js';
import { createLocalRulesMerger } from '../policy/bundle/local-rules.js';
import { createTeamPolicy } from '../policy/bundle/team-policy.js';
import { createPolicyRuntime } from '../policy/policy-runtime.js';
import { adapterIds, findAdapter } from '../providers/index.js';
import { adminTokenPath, loadAdminToken } from '../secrets/admin-token.js';
import { lockDataDir } from '../store/data-dir-lock.js';
import { openDatabase } from '../store/db.js';
import type { SqliteDatabase } from '../store/db.js';
import { KeyStore } from '../store/keys-store.js';
import { startWalCheckpointer } from '../store/wal-checkpointer.js';
import { createUpstreams } from '../upstream/upstreams.js';
import { KAGAMI_VERSION } from '../version.js';
import { EXIT, integerFlag, parseFlags } from './command.js';
import type { CliCommand } from './command.js';
import { CONFIG_FLAGS, CONFIG_FLAGS_USAGE, configFileFrom } from './config-flags.js';

const USAGE = `Usage: kagami start [options]

Starts the gateway on 127.0.0.1. Without a config file it runs on embedded defaults: port 8765,
data in ~/.local/share/kagami, and the local simulator provider "kagami-simulator" (models
kagami-sim-chat, kagami-sim-embed), so it works with no provider account.

Options:
  --port N          listen port (default: the config's listen.port, 8765; 0 = any free port)
  --host H          loopback listen address (default 127.0.0.1)
  --no-first-key    do not create a virtual key on first start
${CONFIG_FLAGS_USAGE}

Stops on SIGINT (Ctrl-C) or SIGTERM after finishing in-flight requests.`;

/** How long shutdown waits for in-flight requests before cutting them off. */
const DRAIN_MS = 10_000;

export interface StartDaemonOptions {
  readonly configFile: string | null;
  readonly overrides?: { readonly host?: string; readonly port?: number; readonly data_dir?: string };
  /** Create a virtual key when the store has none yet (printed once). */
  readonly createFirstKey?: boolean;
  /** The policy runtime's clock (rate-limit buckets, budget periods, cache TTL, breakers); tests inject one. */
  readonly now?: () => number;
}

export interface RunningDaemon {
  readonly url: string;
  readonly config: Config;
  readonly adminToken: string;
  /** Set when the store had no keys and one was created for the user. */
  readonly firstKey: string | null;
  readonly simulator: MockUpstream | null;
  /** Resolves once every audit row handed to the writer so far is committed (with `audit.commit: after_response` the answer comes first). */
  flushAudit(): Promise<void>;
  /** Stop accepting, drain, flush the audit trail, close the database. Idempotent. */
  close(): Promise<void>;
}

export async function startDaemon(options: StartDaemonOptions): Promise<RunningDaemon> {
  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanUp = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    const simulator = options.configFile === null ? await startMockUpstream({ keepRecent: 0 }) : null;
    if (simulator) cleanups.push(() => simulator.close());
    const config = loadConfig(options.configFile, {
      providerTypes: adapterIds(),
      ...(simulator ? { simulatorUrl: simulator.url } : {}),
      ...(options.overrides ? { overrides: options.overrides } : {}),
    });

    // One daemon per data dir: a second one would fork the audit chain. Released last.
    const lock = lockDataDir(config.data_dir);
    cleanups.push(() => lock.release());
    const db: SqliteDatabase = openDatabase(config.data_dir);
    cleanups.push(() => {
      db.close();
    });
    // WAL checkpoints (and their fsyncs) in a worker thread, never inside a request's commit.
    const checkpointer = startWalCheckpointer(db);
    cleanups.push(() => checkpointer.close());
    const keyStore = new KeyStore(db);
    cleanups.push(() => keyStore.close());
    const adminToken = loadAdminToken(config.data_dir);
    // The audit trail: writer, signed checkpoints, SIEM outbox, retention (daemon/audit/audit-trail.ts).
    const auditTrail = startAuditTrail({ config, db, log: (line) => process.stderr.write(`${line}\n`) });
    cleanups.push(() => auditTrail.close());
    auditTrail.watchKeys(keyStore);
    const auditWriter: AuditWriter = auditTrail.writer;

    // Other parts that run beside the request path (policy source, SIEM outbox, audit
    // checkpoints) start here, one block each, pushing their stop onto `cleanups`.
    const upstreams = createUpstreams(config.providers, findAdapter);
    cleanups.push(() => upstreams.close());

    // Routing state, limits, budgets and cache; the live policy is published into its holder.
    const policyRuntime = createPolicyRuntime({ config, db, upstreams, adminEvents: auditWriter, ...(options.now ? { now: options.now } : {}) });
    cleanups.push(() => policyRuntime.close());

    // The team policy (signed bundles from a source, or an unsigned local file): refused
    // bundles are audited and the daemon keeps its last good policy.
    let policyStarted = false; // before that, a refusal is the start error itself (printed once)
    const teamPolicy = createTeamPolicy({
      config: config.policy,
      db,
      holder: policyRuntime.holder,
      recordAdminEvent: ({ kind, detail }) => {
        if (kind !== 'policy_applied' && policyStarted) {
          process.stderr.write(`kagami: ${kind.replaceAll('_', ' ')} (${String(detail.source ?? 'local rules')}): ${String(detail.reason)}\n`);
        }
        auditWriter.appendAdminEvent({ type: kind, actor: 'daemon', details: detail }).catch((error: unknown) => {
          process.stderr.write(`kagami: could not audit ${kind}: ${(error as Error).message}\n`);
        });
      },
      mergeLocalRules: config.policy?.local_rules ? createLocalRulesMerger(config.policy.local_rules) : null,
    });
    cleanups.push(() => teamPolicy.close());
    await teamPolicy.start();
    policyStarted = true;

    // Prometheus metrics (GET /metrics), fed by the kagami:request:end channel.
    const metrics = createMetrics({ breakers: () => policyRuntime.routing.breakers.list(), sinks: () => auditTrail.outbox.status() });
    cleanups.push(() => metrics.close());

    // OpenTelemetry spans per request, only when telemetry.traces is configured.
    const tracing = startTracing(config.telemetry, { version: KAGAMI_VERSION, log: (line) => process.stderr.write(`${line}\n`) });
    if (tracing) cleanups.push(() => tracing.close());

    let firstKey: string | null = null;
    if (options.createFirstKey !== false && keyStore.list().length === 0) {
      firstKey = keyStore.create({ tenant: 'local', user: userInfo().username || 'local' }).key;
    }

    let ready = false;
    const app: FastifyInstance = buildApp({
      config,
      keyStore,
      auditWriter,
      events: createRequestEvents(),
      adminToken,
      version: KAGAMI_VERSION,
      isReady: () => ready,
      auditQuery: createAuditQueryStore(db),
      upstreams,
      policyRuntime,
      attemptPolicy: policyRuntime.attemptPolicy,
      teamPolicy,
      siemStatus: auditTrail.siemStatus,
      metrics,
      ...(tracing ? { traceStage: tracing.traceStage } : {}),
    });
    cleanups.push(() => closeApp(app));
    try {
      await app.listen({ host: config.listen.host, port: config.listen.port });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      throw new Error(
        `${config.listen.host}:${config.listen.port} is already in use (another kagami running?); choose another port with --port or listen.port`,
        { cause: error },
      );
    }
    ready = true;

    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.listen.port;
    const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
    let closing: Promise<void> | null = null;
    return {
      url: `http://${host}:${port}`,
      config,
      adminToken,
      firstKey,
      simulator,
      flushAudit: () => auditWriter.flush(),
      close: () => {
        ready = false;
        closing ??= cleanUp();
        return closing;
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/** fastify's close() stops accepting and waits for in-flight requests; cut them off after DRAIN_MS. */
async function closeApp(app: FastifyInstance): Promise<void> {
  const timer = setTimeout(() => app.server.closeAllConnections(), DRAIN_MS).unref();
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
  }
}

function banner(daemon: RunningDaemon): string {
  const { config, url } = daemon;
  const providers = config.providers.map((p) => (p.id === SIMULATOR_PROVIDER_ID ? `${p.id} (local simulator, no account needed)` : p.id));
  const model = config.models.find((m) => m.capabilities.chat)?.name ?? config.models[0]?.name ?? 'MODEL';
  const lines = [
    `Kagami ${KAGAMI_VERSION}: local LLM gateway`,
    `  OpenAI base URL:  ${url}/v1`,
    `  Config:           ${config.source ?? 'embedded defaults (no config file found)'}`,
    `  Providers:        ${providers.join(', ') || '(none)'}`,
    `  Models:           ${config.models.map((m) => m.name).join(', ') || '(none)'}`,
    `  Data:             ${config.data_dir}`,
    `  Web UI:           ${url}/ui/?token=${daemon.adminToken}`,
    `  Admin token:      ${daemon.adminToken}   (kept in ${adminTokenPath(config.data_dir)})`,
  ];
  const key = daemon.firstKey;
  if (key !== null) {
    lines.push(
      '',
      'First start: created a virtual key for you. It is shown once (only its hash is stored):',
      '',
      `    ${key}`,
      '',
      'Try it:',
      `  curl ${url}/v1/chat/completions -H "Authorization: Bearer ${key}" \\`,
      `    -H 'content-type: application/json' -d '{"model":"${model}","messages":[{"role":"user","content":"Hello"}]}'`,
    );
  } else {
    lines.push('', 'Create a virtual key for your tools with `kagami keys create --tenant T --user U`.');
  }
  lines.push('', 'Press Ctrl-C to stop.');
  return `${lines.join('\n')}\n`;
}

async function run(argv: readonly string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    ...CONFIG_FLAGS,
    port: { type: 'string' },
    host: { type: 'string' },
    'no-first-key': { type: 'boolean' },
  });
  const port = integerFlag(values.port, 'port', 0, 65535);
  const daemon = await startDaemon({
    configFile: configFileFrom(values),
    overrides: {
      ...(port !== undefined ? { port } : {}),
      ...(values.host !== undefined ? { host: values.host } : {}),
      ...(values['data-dir'] !== undefined ? { data_dir: resolve(values['data-dir']) } : {}),
    },
    createFirstKey: !(values['no-first-key'] ?? false),
  });
  process.stdout.write(banner(daemon));

  const signal = await new Promise<NodeJS.Signals>((resolveSignal) => {
    process.once('SIGINT', () => resolveSignal('SIGINT'));
    process.once('SIGTERM', () => resolveSignal('SIGTERM'));
  });
  process.stderr.write(`kagami: ${signal}: finishing in-flight requests, then stopping (send it again to stop now)\n`);
  const again = (): void => {
    process.stderr.write('kagami: stopped at once; requests still in flight were cut off\n');
    process.exit(EXIT.failed);
  };
  process.once('SIGINT', again);
  process.once('SIGTERM', again);
  await daemon.close();
  process.stderr.write('kagami: stopped\n');
  return EXIT.ok;
}

export const command: CliCommand = { summary: 'start the gateway (embedded defaults without a config file)', usage: USAGE, run };
