import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../../../daemon/store/db.js';
import type { SqliteDatabase } from '../../../daemon/store/db.js';
import { hashKey, KeyStore } from '../../../daemon/store/keys-store.js';

describe('KeyStore', () => {
  let dir: string;
  const open: SqliteDatabase[] = [];
  const stores: KeyStore[] = [];
  const newStore = (refreshMs = 0): KeyStore => {
    const db = openDatabase(dir);
    open.push(db);
    const store = new KeyStore(db, { refreshMs });
    stores.push(store);
    return store;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kagami-keys-'));
  });
  afterEach(() => {
    vi.useRealTimers();
    for (const store of stores.splice(0)) store.close();
    for (const db of open.splice(0)) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates sk-kagami- keys that verify to their principal', () => {
    const store = newStore();
    const { id, key } = store.create({ tenant: 'acme', user: 'ana', role: 'dev', models: ['gpt-4o-mini'] });
    expect(key).toMatch(/^sk-kagami-[0-9A-Za-z]{40}$/);
    expect(store.verify(key)).toEqual({ keyId: id, tenant: 'acme', user: 'ana', role: 'dev', models: ['gpt-4o-mini'] });
    expect(store.verify(`${key}x`)).toBeNull();
    expect(store.verify('sk-someone-else')).toBeNull();
    const other = store.create({ tenant: 'acme', user: 'bo' });
    expect(other.key).not.toBe(key);
    expect(store.verify(other.key)?.models).toBeNull();
  });

  it('stores only the SHA-256 of a key: the key is nowhere in the database files', () => {
    const store = newStore();
    const { key } = store.create({ tenant: 'acme', user: 'ana' });
    open[0]?.pragma('wal_checkpoint(TRUNCATE)');
    const bytes = readdirSync(dir)
      .filter((name) => name.startsWith('kagami.db'))
      .map((name) => readFileSync(join(dir, name)))
      .reduce((all, file) => Buffer.concat([all, file]), Buffer.alloc(0));
    expect(bytes.length).toBeGreaterThan(0);
    expect(bytes.includes(key)).toBe(false);
    expect(bytes.includes(key.slice('sk-kagami-'.length))).toBe(false);
    expect(bytes.includes(hashKey(key))).toBe(true);
  });

  it('lists keys with a display prefix only, and revokes by id or by prefix', () => {
    const store = newStore();
    const a = store.create({ tenant: 't', user: 'a' });
    const b = store.create({ tenant: 't', user: 'b' });
    const listed = store.list();
    expect(listed.map((k) => k.id)).toEqual([a.id, b.id]);
    expect(listed[0]?.prefix).toBe(`${a.key.slice(0, 16)}…`);
    expect(JSON.stringify(listed)).not.toContain(a.key);

    expect(store.revoke(a.id).revokedAt).toBeTypeOf('number');
    expect(store.verify(a.key)).toBeNull();
    expect(store.revoke(b.key.slice(0, 14)).id).toBe(b.id);
    expect(store.verify(b.key)).toBeNull();
    expect(() => store.revoke(a.id)).toThrow(/already revoked/);
    expect(() => store.revoke('key_nope')).toThrow(/no virtual key matches/);
    expect(store.list().every((k) => k.revokedAt !== null)).toBe(true);
  });

  it('refuses a key without tenant or user', () => {
    const store = newStore();
    expect(() => store.create({ tenant: ' ', user: 'a' })).toThrow(/needs a tenant/);
  });

  it('verifies a key created through another connection at once, before any refresh', () => {
    const daemon = newStore(0);
    const cli = newStore();
    const { id, key } = cli.create({ tenant: 't', user: 'u', models: ['m'] });
    expect(daemon.verify(key)).toEqual({ keyId: id, tenant: 't', user: 'u', role: null, models: ['m'] });
    // A revoked key is not found that way.
    const revoked = cli.create({ tenant: 't', user: 'v' });
    cli.revoke(revoked.id);
    expect(daemon.verify(revoked.key)).toBeNull();
  });

  it('reads SQLite once for a repeated unknown key, and again only after a few seconds', () => {
    let now = 1_000_000;
    const db = openDatabase(dir);
    open.push(db);
    const store = new KeyStore(db, { refreshMs: 0, now: () => now });
    stores.push(store);
    const statementGet = vi.spyOn(Object.getPrototypeOf(db.prepare('SELECT 1')) as { get: () => unknown }, 'get');
    const bad = 'sk-kagami-' + 'x'.repeat(40);
    for (let i = 0; i < 100; i++) expect(store.verify(bad)).toBeNull();
    expect(statementGet).toHaveBeenCalledTimes(1);
    now += 5_001;
    expect(store.verify(bad)).toBeNull();
    expect(statementGet).toHaveBeenCalledTimes(2);
    // Not our prefix: never a read.
    expect(store.verify('sk-proj-abc')).toBeNull();
    expect(statementGet).toHaveBeenCalledTimes(2);
  });

  it('sees a revoke made through another connection on its next refresh tick', () => {
    vi.useFakeTimers();
    const daemon = newStore(500);
    const cli = newStore();
    const { id, key } = cli.create({ tenant: 't', user: 'u' });
    expect(daemon.verify(key)?.keyId).toBe(id); // looked up by hash on the first miss
    cli.revoke(id);
    expect(daemon.verify(key)?.keyId).toBe(id);
    vi.advanceTimersByTime(500);
    expect(daemon.verify(key)).toBeNull();
  });

  it('refresh() reloads only when another connection committed', () => {
    const daemon = newStore();
    const cli = newStore();
    expect(daemon.refresh()).toBe(false);
    cli.create({ tenant: 't', user: 'u' });
    expect(daemon.refresh()).toBe(true);
    expect(daemon.refresh()).toBe(false);
  });
});
