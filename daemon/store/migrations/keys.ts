// Virtual keys (daemon/store/keys-store.ts). Only the SHA-256 of a key is stored, never the key.
import type { AreaMigrations } from './types.js';

export const keysMigrations: AreaMigrations = {
  area: 'keys',
  steps: [
    `CREATE TABLE keys_virtual (
      id TEXT PRIMARY KEY,
      hash TEXT NOT NULL UNIQUE,
      prefix TEXT NOT NULL,
      tenant TEXT NOT NULL,
      user TEXT NOT NULL,
      role TEXT,
      models TEXT,
      created_at INTEGER NOT NULL,
      revoked_at INTEGER
    ) STRICT`,
  ],
};
