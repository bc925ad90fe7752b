// SQL for reading the trail the way people ask about it: requests and redaction findings by
// time, tenant, user, model, provider, status, entity type or trace id, paged newest first by
// seq; latency percentiles and error rates per provider/endpoint; spend per tenant/model/endpoint.
// Time, trace id, provider and status have indexes; tenant, user and model filters walk the
// rows newest first (fast for values that occur, a full scan for ones that never do: 40-80 ms
// per 300k rows), because every index is paid by every request's commit (migrations/audit.ts, step 2).
// Read-only: the CLI runs it on a running daemon's file.
import type { Database } from 'better-sqlite3';
import type {
  AdminEventRow,
  AuditQuery,
  AuditRow,
  CostStats,
  LatencyStats,
  RedactionQuery,
  RedactionRow,
  StatsWindow,
} from '../../shared/schemas/audit.js';
import { rawFromRow, parseEntry } from './audit-store.js';
import type { SqlValue } from './hash-chain.js';

export const DEFAULT_PAGE = 100;
export const WINDOW_MS: Record<StatsWindow, number> = { '5m': 5 * 60_000, '1h': 3_600_000, '24h': 86_400_000 };

export interface Page<T> {
  readonly items: T[];
  readonly next_cursor: number | null;
}

export type Order = 'desc' | 'asc';

interface Where {
  clauses: string[];
  params: SqlValue[];
}

function timeAndPaging(where: Where, query: { from?: number | undefined; to?: number | undefined; cursor?: number | undefined }, order: Order): void {
  if (query.from !== undefined) add(where, `ts >= ?`, query.from);
  if (query.to !== undefined) add(where, `ts < ?`, query.to);
  if (query.cursor !== undefined) add(where, order === 'desc' ? `seq < ?` : `seq > ?`, query.cursor);
}

function requestWhere(query: AuditQuery, order: Order): Where {
  const where: Where = { clauses: [], params: [] };
  const equal = (column: string, value: string | undefined) => {
    if (value !== undefined) add(where, `${column} = ?`, value);
  };
  timeAndPaging(where, query, order);
  equal('tenant', query.tenant);
  equal('user', query.user);
  equal('provider', query.provider);
  equal('endpoint', query.endpoint);
  equal('trace_id', query.trace_id);
  if (query.model !== undefined) add(where, '(requested_model = ? OR upstream_model = ?)', query.model, query.model);
  if (query.status !== undefined) {
    if (query.status.endsWith('xx')) {
      const base = Number(query.status[0]) * 100;
      add(where, 'status BETWEEN ? AND ?', base, base + 99);
    } else {
      add(where, 'status = ?', Number(query.status));
    }
  }
  if (query.entity_type !== undefined) {
    where.clauses.push('EXISTS (SELECT 1 FROM audit_redactions r WHERE r.trace_id = audit_requests.trace_id AND r.entity_type = ?)');
    where.params.push(query.entity_type);
  }
  return where;
}

function redactionWhere(query: RedactionQuery, order: Order): Where {
  const where: Where = { clauses: [], params: [] };
  timeAndPaging(where, query, order);
  for (const column of ['trace_id', 'entity_type', 'action', 'detector'] as const) {
    const value = query[column];
    if (value !== undefined) add(where, `${column} = ?`, value);
  }
  return where;
}

function add(where: Where, clause: string, ...params: SqlValue[]): void {
  where.clauses.push(clause);
  where.params.push(...params);
}

const sqlWhere = (where: Where) => (where.clauses.length === 0 ? '' : `WHERE ${where.clauses.join(' AND ')}`);

export interface AuditQueryStore {
  requests(query: AuditQuery, order?: Order): Page<AuditRow>;
  redactions(query: RedactionQuery, order?: Order): Page<RedactionRow>;
  adminEvents(query: { from?: number; to?: number; type?: string; cursor?: number; limit?: number }, order?: Order): Page<AdminEventRow>;
  latency(window: StatsWindow, now: number): LatencyStats;
  cost(from: number, to: number): CostStats;
  /** Key ids that already have an admin event of this type (key.created, key.revoked). */
  keyIdsWithEvent(type: string): Set<string>;
}

export function createAuditQueryStore(db: Database): AuditQueryStore {
  // Filters combine freely, so statements are prepared per shape and cached.
  const cache = new Map<string, ReturnType<typeof db.prepare<SqlValue[]>>>();
  const prepared = (sql: string) => {
    let statement = cache.get(sql);
    if (statement === undefined) {
      statement = db.prepare<SqlValue[]>(sql);
      cache.set(sql, statement);
    }
    return statement;
  };

  function page<T extends { seq: number }>(table: string, kind: 'request' | 'redaction' | 'admin', where: Where, limit: number, order: Order): Page<T> {
    const sql = `SELECT * FROM ${table} ${sqlWhere(where)} ORDER BY seq ${order === 'desc' ? 'DESC' : 'ASC'} LIMIT ?`;
    const rows = prepared(sql).all(...where.params, limit + 1) as Record<string, SqlValue>[];
    const items = rows.slice(0, limit).map((row) => parseEntry(rawFromRow(kind, row)).row as unknown as T);
    const last = items[items.length - 1];
    return { items, next_cursor: rows.length > limit && last !== undefined ? last.seq : null };
  }

  const percentile = (where: string, params: SqlValue[], column: string, count: number, p: number): number | null => {
    if (count === 0) return null;
    const offset = Math.min(count - 1, Math.max(0, Math.ceil(p * count) - 1));
    const row = prepared(`SELECT ${column} AS v FROM audit_requests ${where} AND ${column} IS NOT NULL ORDER BY ${column} LIMIT 1 OFFSET ?`).get(...params, offset) as { v: number } | undefined;
    return row?.v ?? null;
  };

  return {
    requests: (query, order = 'desc') => page<AuditRow>('audit_requests', 'request', requestWhere(query, order), query.limit ?? DEFAULT_PAGE, order),
    redactions: (query, order = 'desc') => page<RedactionRow>('audit_redactions', 'redaction', redactionWhere(query, order), query.limit ?? DEFAULT_PAGE, order),
    adminEvents(query, order = 'desc') {
      const where: Where = { clauses: [], params: [] };
      timeAndPaging(where, query, order);
      if (query.type !== undefined) add(where, 'type = ?', query.type);
      return page<AdminEventRow>('audit_admin_events', 'admin', where, query.limit ?? DEFAULT_PAGE, order);
    },

    latency(window, now) {
      const since = now - WINDOW_MS[window];
      const groups = prepared(
        `SELECT provider, endpoint, COUNT(*) AS requests, SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END) AS errors,
                COUNT(upstream_ms) AS upstream_count
         FROM audit_requests WHERE ts >= ? GROUP BY provider, endpoint ORDER BY requests DESC`,
      ).all(since) as { provider: string | null; endpoint: string | null; requests: number; errors: number; upstream_count: number }[];
      return {
        window,
        since,
        groups: groups.map((group) => {
          const where = 'WHERE ts >= ? AND provider IS ? AND endpoint IS ?';
          const params: SqlValue[] = [since, group.provider, group.endpoint];
          return {
            provider: group.provider,
            endpoint: group.endpoint,
            requests: group.requests,
            errors: group.errors,
            error_rate: group.requests === 0 ? 0 : group.errors / group.requests,
            p50_ms: percentile(where, params, 'latency_ms', group.requests, 0.5),
            p95_ms: percentile(where, params, 'latency_ms', group.requests, 0.95),
            upstream_p50_ms: percentile(where, params, 'upstream_ms', group.upstream_count, 0.5),
            upstream_p95_ms: percentile(where, params, 'upstream_ms', group.upstream_count, 0.95),
          };
        }),
      };
    },

    keyIdsWithEvent(type) {
      const rows = prepared("SELECT DISTINCT json_extract(details, '$.key_id') AS id FROM audit_admin_events WHERE type = ?").all(type) as { id: string | null }[];
      return new Set(rows.flatMap((row) => (row.id === null ? [] : [row.id])));
    },

    cost(from, to) {
      const by = (column: string) =>
        prepared(
          `SELECT ${column} AS key, COALESCE(SUM(cost_usd), 0) AS cost_usd, COUNT(*) AS requests, COALESCE(SUM(total_tokens), 0) AS total_tokens
           FROM audit_requests WHERE ts >= ? AND ts < ? GROUP BY ${column} ORDER BY cost_usd DESC`,
        ).all(from, to) as { key: string | null; cost_usd: number; requests: number; total_tokens: number }[];
      const byTenant = by('tenant');
      return {
        from,
        to,
        total_usd: byTenant.reduce((sum, row) => sum + row.cost_usd, 0),
        by_tenant: byTenant.map(({ key, ...rest }) => ({ tenant: key, ...rest })),
        by_model: by('requested_model').map(({ key, ...rest }) => ({ model: key, ...rest })),
        by_endpoint: by('endpoint').map(({ key, ...rest }) => ({ endpoint: key, ...rest })),
      };
    },
  };
}
