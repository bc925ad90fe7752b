// The exact-match response cache: a non-streamed answer is stored under a key derived from
// the normalized request AFTER redaction (so the key and the stored request side hold no raw
// PII), the targets it may go to and the tenant (one tenant never learns what another asked),
// for the TTL of the rule that matched. Lookups hit a
// small in-memory map first, then SQLite (an indexed read); writes are batched per tick.
import { createHash } from 'node:crypto';
import type { JsonObject, Target } from '../pipeline/context.js';
import type { CacheRow, CacheStore } from './cache-store.js';

/** The in-memory front of the SQLite table: at most this many entries and body characters. */
const MEMORY_ENTRIES = 1000;
const MEMORY_BYTES = 32 * 1024 * 1024;

/** Request fields that do not change the answer (or that the gateway sets itself). */
const IGNORED_FIELDS = new Set(['stream', 'stream_options', 'user', 'metadata', 'store', 'service_tier']);

export interface CachedAnswer {
  readonly body: JsonObject;
  readonly target: Target;
  readonly createdAt: number;
}

export interface ResponseCacheOptions {
  readonly store: CacheStore | null;
  /** Rows kept in SQLite at most (read when pruning: the live policy's cache.max_entries). */
  readonly maxEntries: () => number;
  readonly now?: () => number;
  readonly schedule?: (flush: () => void) => void;
  readonly onError?: (error: unknown) => void;
}

export class ResponseCache {
  private readonly memory = new Map<string, CacheRow>();
  private memoryBytes = 0;
  private pending: CacheRow[] = [];
  private flushScheduled = false;
  private writes = 0;
  private readonly now: () => number;
  private readonly schedule: (flush: () => void) => void;

  constructor(private readonly options: ResponseCacheOptions) {
    this.now = options.now ?? Date.now;
    this.schedule = options.schedule ?? ((flush) => setImmediate(flush));
  }

  /** The cache key: SHA-256 of the canonical request (sorted keys), the candidate targets and the tenant. */
  static keyFor(op: string, body: JsonObject, targets: readonly Target[], tenant: string): string {
    const request: JsonObject = {};
    for (const name of Object.keys(body).sort()) if (!IGNORED_FIELDS.has(name)) request[name] = body[name];
    const canonical = canonicalJson({ op, tenant, request, targets: targets.map((t) => `${t.provider}/${t.upstreamModel}`) });
    return createHash('sha256').update(canonical).digest('hex');
  }

  get(key: string): CachedAnswer | null {
    const now = this.now();
    let row = this.memory.get(key);
    if (row !== undefined && row.expires_at <= now) {
      this.forget(key, row);
      return null;
    }
    if (row === undefined && this.options.store !== null) row = this.options.store.get(key, now);
    if (row === undefined) return null;
    this.remember(row); // most recently used: last in the map
    return { body: JSON.parse(row.body) as JsonObject, target: JSON.parse(row.target) as Target, createdAt: row.created_at };
  }

  put(key: string, body: JsonObject, target: Target, ttlS: number): void {
    const now = this.now();
    const row: CacheRow = {
      key,
      body: JSON.stringify(body),
      target: JSON.stringify({ endpoint: target.endpoint, provider: target.provider, upstreamModel: target.upstreamModel }),
      created_at: now,
      expires_at: now + ttlS * 1000,
    };
    this.remember(row);
    if (this.options.store === null) return;
    this.pending.push(row);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.schedule(() => this.flush());
    }
  }

  flush(): void {
    this.flushScheduled = false;
    if (this.options.store === null || this.pending.length === 0) return;
    const rows = this.pending;
    this.pending = [];
    try {
      this.options.store.putAll(rows);
      this.writes += rows.length;
      if (this.writes >= 500) {
        this.writes = 0;
        this.options.store.prune(this.now(), this.options.maxEntries());
      }
    } catch (error) {
      this.options.onError?.(error);
    }
  }

  private remember(row: CacheRow): void {
    const known = this.memory.get(row.key);
    if (known !== undefined) this.forget(row.key, known);
    this.memory.set(row.key, row);
    this.memoryBytes += row.body.length;
    // Map keeps insertion order: the first key is the least recently used.
    const limit = Math.min(this.options.maxEntries(), MEMORY_ENTRIES);
    while (this.memory.size > limit || this.memoryBytes > MEMORY_BYTES) {
      const oldest = this.memory.entries().next().value as [string, CacheRow];
      this.forget(oldest[0], oldest[1]);
    }
  }

  private forget(key: string, row: CacheRow): void {
    this.memory.delete(key);
    this.memoryBytes -= row.body.length;
  }
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .filter((k) => obj[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
