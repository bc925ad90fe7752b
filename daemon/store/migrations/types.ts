// The shape of one area's migrations: an append-only list of steps, version = position (1-based).
// Never edit or reorder a step once committed; add a new one.
import type { Database } from 'better-sqlite3';

/** A step is SQL run with exec(), or a function for what SQL alone cannot express. */
export type MigrationStep = string | ((db: Database) => void);

export interface AreaMigrations {
  /** Owning area; its tables are prefixed with it (`keys_…`, `audit_…`). */
  readonly area: string;
  readonly steps: readonly MigrationStep[];
}
