// Persisted state of signed team policy: the applied bundle (so a restart comes back on the
// last good policy and rollback protection survives restarts) and the last refused bundle.
// Written only when a bundle is offered, never on the request path. Table: migrations/signed-policy.ts.
import type { SqliteDatabase } from '../../store/db.js';
import type { AppliedPolicy, RefusedBundle } from '../../../shared/schemas/policy-bundle.js';

export interface PolicyStateStore {
  applied(): AppliedPolicy | null;
  appliedBundle(): { applied: AppliedPolicy; bundleText: string } | null;
  lastRefusal(): RefusedBundle | null;
  saveApplied(applied: AppliedPolicy, bundleText: string): void;
  saveRefusal(refusal: RefusedBundle): void;
}

export function createPolicyStateStore(db: SqliteDatabase): PolicyStateStore {
  const select = db.prepare<[string], { record: string; bundle: string | null }>('SELECT record, bundle FROM signed_policy_state WHERE slot = ?');
  const upsert = db.prepare<[string, string, string | null]>(
    'INSERT INTO signed_policy_state (slot, record, bundle) VALUES (?, ?, ?) ON CONFLICT(slot) DO UPDATE SET record = excluded.record, bundle = excluded.bundle',
  );
  // Cached: status() is read by the admin API; the store is the only writer.
  let applied: AppliedPolicy | null | undefined;
  let refusal: RefusedBundle | null | undefined;

  return {
    applied() {
      if (applied === undefined) {
        const row = select.get('applied');
        applied = row ? (JSON.parse(row.record) as AppliedPolicy) : null;
      }
      return applied;
    },
    appliedBundle() {
      const row = select.get('applied');
      if (!row || row.bundle === null) return null;
      return { applied: JSON.parse(row.record) as AppliedPolicy, bundleText: row.bundle };
    },
    lastRefusal() {
      if (refusal === undefined) {
        const row = select.get('refused');
        refusal = row ? (JSON.parse(row.record) as RefusedBundle) : null;
      }
      return refusal;
    },
    saveApplied(next, bundleText) {
      upsert.run('applied', JSON.stringify(next), bundleText);
      applied = next;
    },
    saveRefusal(next) {
      upsert.run('refused', JSON.stringify(next), null);
      refusal = next;
    },
  };
}
