// Where replayed traffic comes from: a JSON Lines file (one TrafficRecord per line, format in
// shared/schemas/policy-tools.ts and the README), or the audit trail of a daemon's database,
// read with the audit area's query store (read-only, oldest first, in pages; key roles from the
// key store in the same file). Both become the same TrafficRecord list, so the simulator does
// not care which one it replays.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SqliteDatabase } from '../store/db.js';
import { Database } from '../store/sqlite-driver.js';
import { Compile } from 'typebox/compile';
import type { AuditRow } from '../../shared/schemas/audit.js';
import { TrafficRecord } from '../../shared/schemas/policy-tools.js';
import { createAuditQueryStore } from '../audit/audit-query-store.js';
import { DB_FILE_NAME } from '../store/db.js';
import { KeyStore } from '../store/keys-store.js';

const validateRecord = Compile(TrafficRecord);

/** A traffic file that cannot be read, with every bad line named (`file:line: field: message`). */
export class TrafficError extends Error {
  override readonly name = 'TrafficError';
}

/** Reads a JSON Lines traffic file; blank lines and lines starting with `#` are skipped. */
export function readTrafficFile(path: string): TrafficRecord[] {
  const records: TrafficRecord[] = [];
  const problems: string[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((raw, index) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const where = `${path}:${index + 1}`;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (cause) {
        problems.push(`${where}: not JSON (${(cause as Error).message})`);
        return;
      }
      if (!validateRecord.Check(value)) {
        const first = [...validateRecord.Errors(value)].slice(0, 3);
        problems.push(`${where}: ${first.map((e) => `${e.instancePath === '' ? '(line)' : e.instancePath.slice(1).replaceAll('/', '.')}: ${e.message}`).join('; ')}`);
        return;
      }
      records.push(value);
    });
  if (problems.length > 0) throw new TrafficError(problems.slice(0, 20).join('\n') + (problems.length > 20 ? `\n… and ${problems.length - 20} more` : ''));
  return records;
}

export interface AuditTrafficOptions {
  /** Only requests at or after / before these times (ms). */
  readonly from?: number;
  readonly to?: number;
}

/**
 * The requests of an audit trail (a kagami.db file, or a data dir holding one), oldest first,
 * read a page at a time (a trail of months does not have to fit in memory). Requests that
 * never authenticated are left out: no policy ever saw them.
 */
export function* auditTraffic(path: string, options: AuditTrafficOptions = {}): Generator<TrafficRecord> {
  const file = statSync(path).isDirectory() ? join(path, DB_FILE_NAME) : path;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const store = createAuditQueryStore(db);
    const roles = keyRoles(db);
    let cursor: number | undefined;
    for (;;) {
      const page = store.requests(
        { limit: 1000, ...(cursor !== undefined ? { cursor } : {}), ...(options.from !== undefined ? { from: options.from } : {}), ...(options.to !== undefined ? { to: options.to } : {}) },
        'asc',
      );
      for (const row of page.items) {
        const record = trafficFromAuditRow(row, row.key_id === null ? undefined : roles.get(row.key_id));
        if (record !== null) yield record;
      }
      if (page.next_cursor === null) return;
      cursor = page.next_cursor;
    }
  } finally {
    db.close();
  }
}

/** All of auditTraffic() at once. */
export function readAuditTraffic(path: string, options: AuditTrafficOptions = {}): TrafficRecord[] {
  return [...auditTraffic(path, options)];
}

const OPERATIONS: Readonly<Record<string, TrafficRecord['operation']>> = {
  'openai.embeddings': 'embedding',
  'openai.completions': 'completion',
};

/**
 * The role of each virtual key (audit rows name the key, not its role), so rules on `role`
 * replay too. Empty when the file holds no key table (an audit trail copied elsewhere).
 */
function keyRoles(db: SqliteDatabase): Map<string, string> {
  const roles = new Map<string, string>();
  let keys;
  try {
    keys = new KeyStore(db, { refreshMs: 0 });
  } catch {
    return roles;
  }
  try {
    for (const key of keys.list()) if (key.role !== null) roles.set(key.id, key.role);
  } finally {
    keys.close();
  }
  return roles;
}

/** One audit row as traffic: who, what model, how many tokens, which data, what it cost. */
export function trafficFromAuditRow(row: AuditRow, role?: string): TrafficRecord | null {
  if (row.tenant === null || row.requested_model === null) return null;
  const decision = row.decision as { dataClasses?: unknown } | null;
  const dataClasses = Array.isArray(decision?.dataClasses) ? decision.dataClasses.filter((c): c is string => typeof c === 'string') : [];
  // "EMAIL:mask" → EMAIL: the entity types redaction found in the prompt.
  const entities = [...new Set(Object.keys(row.redactions).map((key) => key.split(':')[0] ?? key))];
  const operation = OPERATIONS[row.api];
  return {
    ts: row.ts,
    tenant: row.tenant,
    ...(row.user !== null ? { user: row.user } : {}),
    ...(role !== undefined ? { role } : {}),
    ...(row.key_id !== null ? { key_id: row.key_id } : {}),
    ...(operation !== undefined ? { operation } : {}),
    model: row.requested_model,
    stream: row.stream,
    prompt_tokens: row.prompt_tokens ?? 0,
    completion_tokens: row.completion_tokens ?? 0,
    ...(dataClasses.length > 0 ? { data_class: dataClasses } : {}),
    ...(entities.length > 0 ? { entities } : {}),
    ...(row.endpoint !== null ? { endpoint: row.endpoint } : {}),
    ...(row.provider !== null ? { provider: row.provider } : {}),
    status: row.status,
    ...(row.cost_usd !== null ? { cost_usd: row.cost_usd } : {}),
    latency_ms: row.latency_ms,
  };
}
