// SQL for spend per budget period and rate-limit bucket snapshots (tables: policy_spend,
// policy_rate_buckets; migrations in daemon/store/migrations/policy.ts).
import type { Database } from 'better-sqlite3';
import type { BucketRow } from './rate-limiter.js';

export interface SpendRow {
  readonly scope: string;
  readonly subject: string;
  readonly period: string;
  readonly spend_usd: number;
  readonly requests: number;
}

export interface SpendStore {
  /** Rows of these periods (e.g. today's and this month's). */
  load(periods: readonly string[]): SpendRow[];
  /** Adds deltas in one transaction. */
  addAll(deltas: readonly SpendRow[], now: number): void;
  loadBuckets(): BucketRow[];
  /** Replaces every stored bucket (at shutdown). */
  saveBuckets(rows: readonly BucketRow[]): void;
  /** Writes changed buckets in one transaction (periodic checkpoints). */
  upsertBuckets(rows: readonly BucketRow[]): void;
}

export function createSpendStore(db: Database): SpendStore {
  const add = db.prepare<[string, string, string, number, number, number]>(
    `INSERT INTO policy_spend (scope, subject, period, spend_usd, requests, updated_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (scope, subject, period) DO UPDATE SET spend_usd = spend_usd + excluded.spend_usd,
       requests = requests + excluded.requests, updated_at = excluded.updated_at`,
  );
  const addAll = db.transaction((deltas: readonly SpendRow[], now: number) => {
    for (const d of deltas) add.run(d.scope, d.subject, d.period, d.spend_usd, d.requests, now);
  });
  const insertBucket = db.prepare<[string, number, number]>('INSERT INTO policy_rate_buckets (key, tokens, updated_at) VALUES (?, ?, ?)');
  const upsertBucket = db.prepare<[string, number, number]>('INSERT OR REPLACE INTO policy_rate_buckets (key, tokens, updated_at) VALUES (?, ?, ?)');
  const upsertBuckets = db.transaction((rows: readonly BucketRow[]) => {
    for (const r of rows) upsertBucket.run(r.key, r.tokens, r.updated_at);
  });
  const saveBuckets = db.transaction((rows: readonly BucketRow[]) => {
    db.prepare('DELETE FROM policy_rate_buckets').run();
    for (const r of rows) insertBucket.run(r.key, r.tokens, r.updated_at);
  });
  return {
    load(periods) {
      if (periods.length === 0) return [];
      return db
        .prepare<string[], SpendRow>(`SELECT scope, subject, period, spend_usd, requests FROM policy_spend WHERE period IN (${periods.map(() => '?').join(', ')})`)
        .all(...periods);
    },
    addAll: (deltas, now) => addAll(deltas, now),
    loadBuckets: () => db.prepare<[], BucketRow>('SELECT key, tokens, updated_at FROM policy_rate_buckets').all(),
    saveBuckets: (rows) => saveBuckets(rows),
    upsertBuckets: (rows) => upsertBuckets(rows),
  };
}
