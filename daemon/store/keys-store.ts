// Virtual keys: what clients put in `Authorization: Bearer sk-kagami-…`. A key is shown once
// at creation; SQLite keeps only its SHA-256 (plus a short display prefix), so a copy of the
// database does not hand out working keys.
//
// verify() runs on every request, so it answers known keys from an in-memory Map. The Map is
// rebuilt when SQLite's `PRAGMA data_version` changes, which happens when another connection
// (the `kagami keys` CLI) commits; that is checked on a timer (default every 500 ms), so a
// revoke from the CLI takes effect in a running daemon within a second. A key the Map does not
// know may have been created a moment ago (`KEY=$(kagami keys create …)` then a call at once),
// so a miss is looked up once by hash (UNIQUE, so indexed) before the caller gets a 401; misses
// are remembered briefly, in a bounded Map, so a client repeating a bad key costs no SQLite
// read per request. Comparing hashes through a Map lookup leaks no timing information
// about the key itself (an attacker would need SHA-256 preimages), so no constant-time compare.
import { hash, randomUUID } from 'node:crypto';
import type { Principal } from '../pipeline/context.js';
import { randomBase62 } from '../secrets/random-token.js';
import type { SqliteDatabase } from './db.js';

export const KEY_PREFIX = 'sk-kagami-';
const KEY_RANDOM_CHARS = 40;
const DISPLAY_CHARS = 6;
/** How long an unknown key's hash is answered from memory; a reload forgets them all anyway. */
const MISS_TTL_MS = 5_000;
/** At most this many remembered misses (oldest dropped first), whatever a client sends. */
const MISS_CACHE_MAX = 10_000;

export interface CreateKeyInput {
  readonly tenant: string;
  readonly user: string;
  readonly role?: string | null;
  /** Model aliases the key may use; null/undefined = any. */
  readonly models?: readonly string[] | null;
}

export interface VirtualKeyInfo {
  readonly id: string;
  /** `sk-kagami-AbC123…`: enough to recognise a key, not to use it. */
  readonly prefix: string;
  readonly tenant: string;
  readonly user: string;
  readonly role: string | null;
  readonly models: readonly string[] | null;
  readonly createdAt: number;
  readonly revokedAt: number | null;
}

export interface KeyStoreOptions {
  /** How often to look for changes by other processes, ms (default 500; 0 = never, call refresh()). */
  readonly refreshMs?: number;
  /** Clock for the miss cache (tests). */
  readonly now?: () => number;
}

interface KeyRow {
  id: string;
  hash: string;
  prefix: string;
  tenant: string;
  user: string;
  role: string | null;
  models: string | null;
  created_at: number;
  revoked_at: number | null;
}

export function hashKey(key: string): string {
  return hash('sha256', key, 'hex'); // one-shot: no Hash object per request
}

function toInfo(row: KeyRow): VirtualKeyInfo {
  return {
    id: row.id,
    prefix: `${row.prefix}…`,
    tenant: row.tenant,
    user: row.user,
    role: row.role,
    models: row.models === null ? null : (JSON.parse(row.models) as string[]),
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

export class KeyStore {
  private principals = new Map<string, Principal>();
  /** Hashes SQLite did not know (or knew only as revoked) → when to ask again. Insertion-ordered. */
  private misses = new Map<string, number>();
  private readonly now: () => number;
  private dataVersion = -1;
  private readonly timer: NodeJS.Timeout | null;
  private readonly statements;

  constructor(
    private readonly db: SqliteDatabase,
    options: KeyStoreOptions = {},
  ) {
    this.statements = {
      insert: db.prepare<[string, string, string, string, string, string | null, string | null, number]>(
        'INSERT INTO keys_virtual (id, hash, prefix, tenant, user, role, models, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      active: db.prepare<[], KeyRow>('SELECT * FROM keys_virtual WHERE revoked_at IS NULL'),
      activeByHash: db.prepare<[string], KeyRow>('SELECT * FROM keys_virtual WHERE hash = ? AND revoked_at IS NULL'),
      // Creation order: ids are random, so two keys made in the same millisecond are ordered by rowid.
      all: db.prepare<[], KeyRow>('SELECT * FROM keys_virtual ORDER BY created_at, rowid'),
      revoke: db.prepare<[number, string]>('UPDATE keys_virtual SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
    };
    this.now = options.now ?? Date.now;
    this.reload();
    const refreshMs = options.refreshMs ?? 500;
    this.timer = refreshMs > 0 ? setInterval(() => this.refresh(), refreshMs).unref() : null;
  }

  /** Creates a key. The returned `key` is the only time the full key exists outside the client. */
  create(input: CreateKeyInput): { id: string; key: string; info: VirtualKeyInfo } {
    for (const [field, value] of [['tenant', input.tenant], ['user', input.user]] as const) {
      if (typeof value !== 'string' || value.trim() === '') throw new RangeError(`a virtual key needs a ${field}`);
    }
    const key = `${KEY_PREFIX}${randomBase62(KEY_RANDOM_CHARS)}`;
    const id = `key_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    const row: KeyRow = {
      id,
      hash: hashKey(key),
      prefix: key.slice(0, KEY_PREFIX.length + DISPLAY_CHARS),
      tenant: input.tenant,
      user: input.user,
      role: input.role ?? null,
      models: input.models && input.models.length > 0 ? JSON.stringify(input.models) : null,
      created_at: Date.now(),
      revoked_at: null,
    };
    this.statements.insert.run(row.id, row.hash, row.prefix, row.tenant, row.user, row.role, row.models, row.created_at);
    this.reload();
    return { id, key, info: toInfo(row) };
  }

  /**
   * The caller for a presented key, or null (unknown or revoked). Sync: known keys from memory,
   * an unknown one with at most one indexed read per MISS_TTL_MS.
   */
  verify(presented: string): Principal | null {
    if (!presented.startsWith(KEY_PREFIX)) return null;
    const hash = hashKey(presented);
    return this.principals.get(hash) ?? this.lookUpMiss(hash);
  }

  /** Every key, revoked ones included, oldest first. */
  list(): VirtualKeyInfo[] {
    return this.statements.all.all().map(toInfo);
  }

  /**
   * Revokes the key with this id, or the one key whose display prefix starts with `idOrPrefix`
   * (`sk-kagami-AbC1`). Returns the revoked key; throws if nothing or several keys match.
   */
  revoke(idOrPrefix: string): VirtualKeyInfo {
    const wanted = idOrPrefix.replace(/…$/, '');
    const rows = this.statements.all.all();
    const byId = rows.find((row) => row.id === wanted);
    const matches = byId ? [byId] : wanted.startsWith(KEY_PREFIX) ? rows.filter((row) => row.prefix.startsWith(wanted) || wanted.startsWith(row.prefix)) : [];
    if (matches.length === 0) throw new RangeError(`no virtual key matches "${idOrPrefix}"`);
    if (matches.length > 1) throw new RangeError(`"${idOrPrefix}" matches ${matches.length} keys (${matches.map((row) => row.id).join(', ')}); use the id`);
    const row = matches[0] as KeyRow;
    if (row.revoked_at !== null) throw new RangeError(`key ${row.id} was already revoked`);
    const now = Date.now();
    this.statements.revoke.run(now, row.id);
    this.reload();
    return toInfo({ ...row, revoked_at: now });
  }

  /** Reloads the keys if another connection committed since the last look; true if it did. */
  refresh(): boolean {
    if (this.statements.dataVersion.get() === this.dataVersion) return false;
    this.reload();
    return true;
  }

  /** Stops watching for changes (the database stays open; its owner closes it). */
  close(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** A key created since the last reload (by another connection), or null, remembered briefly. */
  private lookUpMiss(hash: string): Principal | null {
    const now = this.now();
    const retryAt = this.misses.get(hash);
    if (retryAt !== undefined && retryAt > now) return null;
    const row = this.statements.activeByHash.get(hash);
    if (row !== undefined) {
      this.misses.delete(hash);
      const principal = toPrincipal(row);
      this.principals.set(hash, principal);
      return principal;
    }
    this.misses.delete(hash); // re-inserted at the end: the Map stays ordered by age
    if (this.misses.size >= MISS_CACHE_MAX) {
      const oldest = this.misses.keys().next();
      if (!oldest.done) this.misses.delete(oldest.value);
    }
    this.misses.set(hash, now + MISS_TTL_MS);
    return null;
  }

  private reload(): void {
    this.dataVersion = this.statements.dataVersion.get() as number;
    const next = new Map<string, Principal>();
    for (const row of this.statements.active.all()) next.set(row.hash, toPrincipal(row));
    this.principals = next;
    this.misses = new Map();
  }
}

function toPrincipal(row: KeyRow): Principal {
  return {
    keyId: row.id,
    tenant: row.tenant,
    user: row.user,
    role: row.role,
    models: row.models === null ? null : Object.freeze(JSON.parse(row.models) as string[]),
  };
}
