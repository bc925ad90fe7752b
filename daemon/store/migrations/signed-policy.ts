// Signed team policy (daemon/policy/bundle/policy-state-store.ts): the applied bundle, kept
// verbatim so a restart re-verifies it and rollback protection survives, and the last refusal.
import type { AreaMigrations } from './types.js';

export const signedPolicyMigrations: AreaMigrations = {
  area: 'signed_policy',
  steps: [
    `CREATE TABLE signed_policy_state (
      slot TEXT PRIMARY KEY CHECK (slot IN ('applied', 'refused')),
      record TEXT NOT NULL,
      bundle TEXT
    ) STRICT`,
  ],
};
