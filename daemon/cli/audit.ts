// `kagami audit verify|export|tail`: the audit trail, read straight from the SQLite file (a
// running daemon keeps writing; WAL lets readers in). Only the daemon appends to the chain.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { AuditQuery, RedactionQuery } from '../../shared/schemas/audit.js';
import { AuditQuery as AuditQuerySchema, RedactionQuery as RedactionQuerySchema } from '../../shared/schemas/audit.js';
import { isGatewayError } from '../../shared/errors.js';
import { createAuditQueryStore } from '../audit/audit-query-store.js';
import { createAuditStore } from '../audit/audit-store.js';
import { loadCheckpointKey, readPublicKeyFile } from '../audit/checkpoint-key.js';
import { CHECKPOINT_FILE_NAME, readCheckpointFile } from '../audit/checkpoints.js';
import { exportTrail, type ExportFormat, type ExportSelection } from '../audit/export.js';
import { createFilterParser } from '../audit/parse-query.js';
import { tailTrail } from '../audit/tail.js';
import { verifyTrail, type VerifyReport } from '../audit/verify.js';
import { openExistingDatabase, type SqliteDatabase } from '../store/db.js';
import { EXIT, integerFlag, parseFlags, UsageError } from './command.js';
import type { CliCommand } from './command.js';
import { CONFIG_FLAGS, CONFIG_FLAGS_USAGE, loadConfigWithoutSecrets, type ConfigFlagValues } from './config-flags.js';

const USAGE = `Usage:
  kagami audit verify [--public-key FILE] [--json]
  kagami audit export [--format ndjson|csv] [--kind request|redaction|admin] [--out FILE] [filters]
  kagami audit tail [-n N] [--follow] [--json]

verify   walks the hash chain from the first kept row and names the first row that was altered,
         removed or inserted; checks every signed checkpoint (key from the OS keychain, or
         --public-key FILE, e.g. <data_dir>/audit-checkpoint.pub) and the checkpoint file kept
         outside the database. Exit 0 intact, 1 tampered.
export   rows oldest first, NDJSON (exact stored form, verifiable) or CSV, to stdout or --out.
tail     the last N rows (default 20) of the whole trail; --follow keeps printing new ones.

Filters (export):
  --from T --to T   time range; T is an ISO date/time, ms since the epoch, or an age (30m, 24h, 7d)
  --tenant X --user X --model X --provider X --endpoint X --trace-id X
  --status S        429 or a class such as 5xx            (request rows)
  --entity-type E   requests with a finding of this type, or findings of this type
  --action A --detector D                                  (redaction rows)
  --type T                                                 (admin rows: key.created, policy_applied, …)

Options:
  --json            machine-readable output
${CONFIG_FLAGS_USAGE}`;

const parseAuditFilter = createFilterParser<AuditQuery>(AuditQuerySchema);
const parseRedactionFilter = createFilterParser<RedactionQuery>(RedactionQuerySchema);

/** Opens the daemon's database read-only; a missing file is a clear error, not a new empty trail. */
function openTrail(flags: ConfigFlagValues): { db: SqliteDatabase; dataDir: string } {
  const config = loadConfigWithoutSecrets(flags);
  return { db: openExistingDatabase(config.data_dir, { readonly: true }), dataDir: config.data_dir };
}

/** ISO date/time, ms since the epoch, or an age before now ("30m", "24h", "7d"). */
export function parseTime(value: string | undefined, flag: string, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const age = /^(\d+)(s|m|h|d)$/.exec(value);
  if (age) return now - Number(age[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as 's' | 'm' | 'h' | 'd'];
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw new UsageError(`--${flag} must be an ISO date/time, ms since the epoch, or an age like 24h; got "${value}"`);
  return parsed;
}

async function runVerify(argv: readonly string[]): Promise<number> {
  const { values } = parseFlags(argv, { ...CONFIG_FLAGS, 'public-key': { type: 'string' }, json: { type: 'boolean' } });
  const { db, dataDir } = openTrail(values);
  try {
    const publicKey = values['public-key'] !== undefined
      ? readPublicKeyFile(values['public-key'])
      : (loadCheckpointKey({ dataDir, create: false })?.publicKey ?? null);
    const report = verifyTrail(createAuditStore(db), { publicKey, externalCheckpoint: readCheckpointFile(join(dataDir, CHECKPOINT_FILE_NAME)) });
    process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : formatReport(report));
    return report.ok ? EXIT.ok : EXIT.failed;
  } finally {
    db.close();
  }
}

function formatReport(report: VerifyReport): string {
  const lines: string[] = [];
  const range = report.first === null ? 'no rows' : `${report.rows} rows, seq ${report.first}…${report.last}`;
  const anchor = report.anchor ? ` (after retention anchor seq ${report.anchor.seq})` : '';
  if (report.problem === null) {
    lines.push(`audit trail intact: ${range}${anchor}, ${report.checkpoints} signed checkpoint${report.checkpoints === 1 ? '' : 's'} verified`);
  } else {
    const { kind, seq, table, traceId, message } = report.problem;
    lines.push(`AUDIT TRAIL TAMPERED: ${kind.replace('_', ' ')} at seq ${seq}${table ? ` (${table}${traceId ? `, trace ${traceId}` : ''})` : ''}`, `  ${message}`);
    lines.push(`  verified before it: ${range}${anchor}`);
  }
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  return `${lines.join('\n')}\n`;
}

async function runExport(argv: readonly string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    ...CONFIG_FLAGS,
    format: { type: 'string' },
    kind: { type: 'string' },
    out: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    tenant: { type: 'string' },
    user: { type: 'string' },
    model: { type: 'string' },
    provider: { type: 'string' },
    endpoint: { type: 'string' },
    status: { type: 'string' },
    'trace-id': { type: 'string' },
    'entity-type': { type: 'string' },
    action: { type: 'string' },
    detector: { type: 'string' },
    type: { type: 'string' },
  });
  const format = (values.format ?? 'ndjson') as ExportFormat;
  if (format !== 'ndjson' && format !== 'csv') throw new UsageError(`--format must be ndjson or csv, got "${values.format}"`);
  const selection = exportSelection(values);
  const { db } = openTrail(values);
  const out: Writable = values.out === undefined ? process.stdout : createWriteStream(values.out, { mode: 0o600 });
  // A write error (disk full, or `| head` closing the pipe) ends the export instead of crashing.
  let broken: NodeJS.ErrnoException | null = null;
  const onError = (error: NodeJS.ErrnoException) => (broken = error);
  out.on('error', onError);
  try {
    const count = await exportTrail(createAuditQueryStore(db), selection, format, async (chunk) => {
      if (broken) throw broken;
      if (!out.write(chunk)) await drained(out);
    });
    if (values.out !== undefined) {
      out.end();
      await once(out, 'finish');
      process.stderr.write(`kagami audit export: ${count} ${selection.kind} rows written to ${values.out}\n`);
    }
    return EXIT.ok;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EPIPE') return EXIT.ok; // the reader had enough
    throw error;
  } finally {
    db.close();
  }
}

/** Resolves when `stream` wants more, or is closed or failed (the caller checks which). */
async function drained(stream: Writable): Promise<void> {
  const done = new AbortController();
  await Promise.race(['drain', 'close'].map((event) => once(stream, event, { signal: done.signal }).catch(() => {})));
  done.abort();
}

type ExportFlags = Partial<Record<'kind' | 'from' | 'to' | 'tenant' | 'user' | 'model' | 'provider' | 'endpoint' | 'status' | 'trace-id' | 'entity-type' | 'action' | 'detector' | 'type', string>>;

function exportSelection(values: ExportFlags): ExportSelection {
  const kind = values.kind ?? 'request';
  const time = { from: parseTime(values.from, 'from'), to: parseTime(values.to, 'to') };
  const only = (allowed: readonly (keyof ExportFlags)[]) => {
    for (const flag of ['tenant', 'user', 'model', 'provider', 'endpoint', 'status', 'entity-type', 'action', 'detector', 'type'] as const) {
      if (values[flag] !== undefined && !allowed.includes(flag)) throw new UsageError(`--${flag} does not apply to --kind ${kind}`);
    }
  };
  const defined = (fields: Record<string, unknown>) => Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
  try {
    if (kind === 'request') {
      only(['tenant', 'user', 'model', 'provider', 'endpoint', 'status', 'entity-type']);
      const filter = parseAuditFilter(defined({ ...time, tenant: values.tenant, user: values.user, model: values.model, provider: values.provider, endpoint: values.endpoint, status: values.status, trace_id: values['trace-id'], entity_type: values['entity-type'] }));
      return { kind, filter };
    }
    if (kind === 'redaction') {
      only(['entity-type', 'action', 'detector']);
      const filter = parseRedactionFilter(defined({ ...time, trace_id: values['trace-id'], entity_type: values['entity-type'], action: values.action, detector: values.detector }));
      return { kind, filter };
    }
    if (kind === 'admin') {
      only(['type']);
      return { kind, filter: defined({ ...time, type: values.type }) };
    }
  } catch (error) {
    if (isGatewayError(error)) throw new UsageError(error.message.replace(/"([a-z_]+)"/, (_, field: string) => `--${field.replace(/_/g, '-')}`));
    throw error;
  }
  throw new UsageError(`--kind must be request, redaction or admin, got "${kind}"`);
}

async function runTail(argv: readonly string[]): Promise<number> {
  const { values } = parseFlags(argv, { ...CONFIG_FLAGS, n: { type: 'string', short: 'n' }, follow: { type: 'boolean', short: 'f' }, json: { type: 'boolean' } });
  const count = integerFlag(values.n, 'n', 0, 100_000) ?? 20;
  const { db } = openTrail(values);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await tailTrail(createAuditStore(db), {
      count,
      follow: values.follow ?? false,
      json: values.json ?? false,
      signal: stop.signal,
      write: (line) => void process.stdout.write(line),
    });
    return EXIT.ok;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    db.close();
  }
}

const SUBCOMMANDS: Record<string, (argv: readonly string[]) => Promise<number>> = { verify: runVerify, export: runExport, tail: runTail };

async function run(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  const subcommand = name === undefined ? undefined : SUBCOMMANDS[name];
  if (subcommand === undefined) throw new UsageError(name === undefined ? 'missing subcommand (verify, export or tail)' : `unknown subcommand "${name}"`);
  return subcommand(rest);
}

export const command: CliCommand = { summary: 'verify, export or tail the tamper-evident audit trail', usage: USAGE, run };
