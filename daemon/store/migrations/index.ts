// Registry: every area's migrations, applied in this order by openDatabase(). Adding an area's
// tables is one file in this folder plus one line here.
import type { AreaMigrations } from './types.js';
import { keysMigrations } from './keys.js';
import { auditMigrations } from './audit.js';
import { signedPolicyMigrations } from './signed-policy.js';
import { policyMigrations } from './policy.js';

export const AREA_MIGRATIONS: readonly AreaMigrations[] = [
  keysMigrations,
  auditMigrations,
  signedPolicyMigrations,
  policyMigrations,
];
