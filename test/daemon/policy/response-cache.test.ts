// ResponseCache on a real SQLite store: the key is the canonical request (field order and
// per-call fields do not matter; content, targets and tenant do), writes are batched per
// scheduled flush, entries expire on the injected clock, and a new cache on the same
// database (a restarted daemon) finds what was stored.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Target } from '../../../daemon/pipeline/context.js';
import { createCacheStore } from '../../../daemon/policy/cache-store.js';
import { ResponseCache } from '../../../daemon/policy/response-cache.js';
import { openDatabase, type SqliteDatabase } from '../../../daemon/store/db.js';

const MINI: Target = { endpoint: 'mini', provider: 'cloud', upstreamModel: 'gpt-mini' };
const BIG: Target = { endpoint: 'big', provider: 'cloud', upstreamModel: 'gpt-big' };
const request = { model: 'chat', messages: [{ role: 'user', content: 'hi' }], temperature: 0 };
const answer = { id: 'chatcmpl-1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'hello' } }] };

let dir: string;
let db: SqliteDatabase;
let now: number;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kagami-cache-'));
  db = openDatabase(dir);
  now = Date.UTC(2026, 10, 23, 10, 0);
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ResponseCache.keyFor', () => {
  const key = (body: Record<string, unknown>, targets: Target[] = [MINI], tenant = 'acme') => ResponseCache.keyFor('chat', { model: 'chat', ...body }, targets, tenant);

  it('ignores field order and per-call fields, but not content, targets or tenant', () => {
    const base = key(request);
    expect(key({ temperature: 0, messages: request.messages })).toBe(base);
    expect(key({ ...request, user: 'someone', metadata: { app: 'faq' }, stream: false })).toBe(base);
    expect(key({ ...request, temperature: 0.5 })).not.toBe(base);
    expect(key({ ...request, messages: [{ content: 'hi', role: 'user' }] })).toBe(base);
    expect(key({ ...request, messages: [{ role: 'user', content: 'hi!' }] })).not.toBe(base);
    expect(key(request, [BIG])).not.toBe(base);
    expect(key(request, [MINI], 'globex')).not.toBe(base);
  });
});

describe('ResponseCache', () => {
  it('batches writes, expires on the clock, and survives a restart', () => {
    const scheduled: (() => void)[] = [];
    const cache = new ResponseCache({ store: createCacheStore(db), maxEntries: () => 100, now: () => now, schedule: (flush) => scheduled.push(flush) });
    for (let i = 0; i < 10; i += 1) cache.put(`k${i}`, answer, MINI, 60);
    expect(scheduled).toHaveLength(1);
    expect(db.prepare('SELECT count(*) AS n FROM policy_cache').get()).toEqual({ n: 0 });
    scheduled[0]?.();
    expect(db.prepare('SELECT count(*) AS n FROM policy_cache').get()).toEqual({ n: 10 });

    const restarted = new ResponseCache({ store: createCacheStore(db), maxEntries: () => 100, now: () => now });
    expect(restarted.get('k3')).toEqual({ body: answer, target: MINI, createdAt: now });
    now += 59_999;
    expect(restarted.get('k3')?.body).toEqual(answer);
    now += 1;
    expect(restarted.get('k3')).toBeNull();
    expect(restarted.get('k4')).toBeNull();
  });

  it('hands out copies: a caller changing an answer does not change the cache', () => {
    const cache = new ResponseCache({ store: null, maxEntries: () => 100, now: () => now });
    cache.put('k', answer, MINI, 60);
    const first = cache.get('k');
    (first?.body as { id: string }).id = 'changed';
    expect(cache.get('k')?.body).toEqual(answer);
  });
});
