// `kagami siem status`: where each configured SIEM sink stands: lag (rows not yet
// acknowledged), last delivery, last error, next retry. Asks the running daemon
// (GET /admin/siem/status, with the admin token from the data dir); when no daemon answers,
// reads the persisted cursors from the database, which is where delivery resumes at start.
import { existsSync, readFileSync } from 'node:fs';
import type { SiemStatus, SinkStatus } from '../../shared/schemas/siem.js';
import { createAuditStore } from '../audit/audit-store.js';
import { adminTokenPath } from '../secrets/admin-token.js';
import { createCursorStore } from '../siem/cursor-store.js';
import { assertDatabaseExists, openExistingDatabase } from '../store/db.js';
import type { Config } from '../../shared/schemas/config.js';
import { EXIT, parseFlags, UsageError } from './command.js';
import type { CliCommand } from './command.js';
import { CONFIG_FLAGS, CONFIG_FLAGS_USAGE, loadConfigWithoutSecrets } from './config-flags.js';

const USAGE = `Usage: kagami siem status [--json] [--url URL]

Shows each configured SIEM sink: rows behind the audit trail head (lag), last delivery, last
error and when the next retry is due. Asks the running daemon; without one, shows the
delivery cursors stored in the database.

Options:
  --url URL         the daemon's address (default: http://<listen.host>:<listen.port> from the config)
  --json            machine-readable output
${CONFIG_FLAGS_USAGE}`;

interface Reported extends SiemStatus {
  /** "daemon" when the running daemon answered, "database" when read from the stored cursors. */
  readonly from: 'daemon' | 'database';
}

async function fromDaemon(url: string, dataDir: string): Promise<SiemStatus | null> {
  const tokenFile = adminTokenPath(dataDir);
  if (!existsSync(tokenFile)) return null;
  try {
    const response = await fetch(`${url}/admin/siem/status`, {
      headers: { authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}` },
      signal: AbortSignal.timeout(3000),
    });
    if (!response.ok) throw new Error(`${url}/admin/siem/status answered ${response.status}`);
    return (await response.json()) as SiemStatus;
  } catch (error) {
    if ((error as Error).message.includes('answered')) throw error;
    return null; // nothing listening: fall back to the database
  }
}

function fromDatabase(config: Config): SiemStatus {
  const sinks = config.siem?.sinks ?? [];
  const db = openExistingDatabase(config.data_dir, { readonly: true });
  try {
    const head = createAuditStore(db).head().seq;
    const cursors = createCursorStore(db);
    return {
      head,
      sinks: sinks.map((sink): SinkStatus => {
        const saved = cursors.get(sink.id);
        return { id: sink.id, type: sink.type, cursor: saved.seq, lag: Math.max(0, head - saved.seq), last_delivered_at: saved.deliveredAt, last_error: saved.lastError, last_error_at: saved.lastErrorAt, failures: 0, retry_at: null };
      }),
    };
  } finally {
    db.close();
  }
}

const when = (ms: number | null) => (ms === null ? 'never' : new Date(ms).toISOString());

function format(status: Reported): string {
  const lines = [`audit trail head: seq ${status.head}${status.from === 'database' ? ' (daemon not running: stored delivery cursors)' : ''}`];
  if (status.sinks.length === 0) lines.push('no SIEM sinks configured (siem.sinks in the config)');
  for (const sink of status.sinks) {
    const health = sink.failures > 0 ? `FAILING (${sink.failures} in a row, retry at ${when(sink.retry_at)})` : sink.lag === 0 ? 'up to date' : 'delivering';
    lines.push(
      `${sink.id} (${sink.type}): ${health}`,
      `  lag ${sink.lag} rows (acknowledged up to seq ${sink.cursor}), last delivered ${when(sink.last_delivered_at)}`,
    );
    if (sink.last_error !== null) lines.push(`  last error at ${when(sink.last_error_at)}: ${sink.last_error}`);
  }
  return `${lines.join('\n')}\n`;
}

async function runStatus(argv: readonly string[]): Promise<number> {
  const { values } = parseFlags(argv, { ...CONFIG_FLAGS, url: { type: 'string' }, json: { type: 'boolean' } });
  const config = loadConfigWithoutSecrets(values);
  assertDatabaseExists(config.data_dir); // a mistyped data dir is an error, not "no sink has lag"
  const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
  const url = values.url ?? `http://${host}:${config.listen.port}`;
  const live = await fromDaemon(url, config.data_dir);
  const status: Reported = live ? { ...live, from: 'daemon' } : { ...fromDatabase(config), from: 'database' };
  process.stdout.write(values.json ? `${JSON.stringify(status)}\n` : format(status));
  return status.sinks.some((sink) => sink.failures > 0) ? EXIT.failed : EXIT.ok;
}

async function run(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name !== 'status') throw new UsageError(name === undefined ? 'missing subcommand (status)' : `unknown subcommand "${name}"`);
  return runStatus(rest);
}

export const command: CliCommand = { summary: 'SIEM delivery status per sink (lag, last error, last delivery)', usage: USAGE, run };
