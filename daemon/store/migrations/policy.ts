// Policy area tables (daemon/policy/*-store.ts): spend per budget period, rate-limit bucket
// snapshots (written at shutdown), and the exact-match response cache.
import type { AreaMigrations } from './types.js';

export const policyMigrations: AreaMigrations = {
  area: 'policy',
  steps: [
    `CREATE TABLE policy_spend (
      scope TEXT NOT NULL,
      subject TEXT NOT NULL,
      period TEXT NOT NULL,
      spend_usd REAL NOT NULL,
      requests INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      PRIMARY KEY (scope, subject, period)
    ) STRICT, WITHOUT ROWID`,
    `CREATE TABLE policy_rate_buckets (
      key TEXT PRIMARY KEY,
      tokens REAL NOT NULL,
      updated_at INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID`,
    `CREATE TABLE policy_cache (
      key TEXT PRIMARY KEY,
      body TEXT NOT NULL,
      target TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    ) STRICT`,
    `CREATE INDEX policy_cache_expires ON policy_cache (expires_at)`,
  ],
};
