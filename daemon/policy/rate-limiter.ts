// Token buckets for requests/min and tokens/min, one per policy limit and subject (each
// tenant, tenant/user, requested model or virtual key), refilled continuously. Requests take
// one request token and reserve their estimated prompt tokens when admitted; the real usage
// settles the difference afterwards (a bucket may go into debt, which delays the next request
// rather than losing the count). Everything is in memory on the request path; changed buckets
// are checkpointed to SQLite periodically (policy-runtime.ts) and all of them at shutdown, and
// restored at start, so a restart (even after a crash) is no way around a limit.
import type { CompiledLimit, CompiledPolicy } from './compile-policy.js';

export interface LimitSubject {
  readonly tenant: string;
  readonly user: string;
  readonly model: string;
  readonly keyId: string;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** What one limit dimension (requests or tokens) says, for x-ratelimit-* headers. */
export interface LimitReading {
  readonly limit: number;
  readonly remaining: number;
  /** ms until the bucket is full again. */
  readonly resetMs: number;
}

export interface Admission {
  readonly allowed: boolean;
  /** ms until the request would fit (when refused). */
  readonly retryAfterMs: number;
  /** The tightest request and token readings among the limits that apply. */
  readonly requests: LimitReading | null;
  readonly tokens: LimitReading | null;
  /** Which limit refused, e.g. `tenant "acme" on requests per min (RPM): Limit 60, Requested 1 (policy limits[0])`. */
  readonly refusedBy: string | null;
  /** Token reservations to settle with the real usage. */
  readonly reservations: readonly { readonly key: string; readonly tokens: number }[];
}

export interface BucketRow {
  readonly key: string;
  readonly tokens: number;
  readonly updated_at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  /** Buckets changed since the last takeChanges() (periodic checkpoints write only these). */
  private changed = new Set<string>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Checks every applicable limit; when all allow, takes one request and reserves the tokens. */
  admit(policy: CompiledPolicy, subject: LimitSubject, estimatedTokens: () => number): Admission {
    const now = this.now();
    let requests: LimitReading | null = null;
    let tokens: LimitReading | null = null;
    const checks: { key: string; capacity: number; need: number; label: string; kind: 'requests' | 'tokens' }[] = [];
    let estimate: number | undefined;
    for (const limit of policy.limits) {
      const id = subjectOf(limit, subject);
      if (limit.matches !== null && !limit.matches(id)) continue;
      const prefix = `${limit.index}:${limit.per}:${id}`;
      const who = `${limit.per} "${id}"`;
      const where = `policy limits[${limit.index}]`;
      if (limit.requestsPerMin !== null) {
        const label = `${who} on requests per min (RPM): Limit ${limit.requestsPerMin}, Requested 1 (${where})`;
        checks.push({ key: `${prefix}:r`, capacity: limit.requestsPerMin, need: 1, label, kind: 'requests' });
      }
      if (limit.tokensPerMin !== null) {
        estimate ??= estimatedTokens();
        // A request bigger than the whole bucket may still pass when the bucket is full.
        const need = Math.min(estimate, limit.tokensPerMin);
        const label = `${who} on tokens per min (TPM): Limit ${limit.tokensPerMin}, Requested ${estimate} (${where})`;
        checks.push({ key: `${prefix}:t`, capacity: limit.tokensPerMin, need, label, kind: 'tokens' });
      }
    }
    let retryAfterMs = 0;
    let refusedBy: string | null = null;
    const levels = checks.map((check) => {
      const level = this.level(check.key, check.capacity, now);
      if (level < check.need) {
        const wait = Math.ceil(((check.need - level) * 60_000) / check.capacity);
        if (wait > retryAfterMs) {
          retryAfterMs = wait;
          refusedBy = check.label;
        }
      }
      return level;
    });
    const allowed = refusedBy === null;
    const reservations: { key: string; tokens: number }[] = [];
    checks.forEach((check, i) => {
      // What the client sees is the bucket after this request (unchanged when refused).
      const after = (levels[i] ?? 0) - (allowed ? check.need : 0);
      const reading: LimitReading = {
        limit: check.capacity,
        remaining: Math.max(0, Math.floor(after)),
        resetMs: Math.ceil(((check.capacity - after) * 60_000) / check.capacity),
      };
      if (check.kind === 'requests') requests = tighter(requests, reading);
      else tokens = tighter(tokens, reading);
      if (!allowed) return;
      (this.buckets.get(check.key) as Bucket).tokens = after;
      this.changed.add(check.key);
      if (check.kind === 'tokens') reservations.push({ key: check.key, tokens: check.need });
    });
    if (!allowed) return { allowed: false, retryAfterMs, requests, tokens, refusedBy, reservations: [] };
    this.prune();
    return { allowed: true, retryAfterMs: 0, requests, tokens, refusedBy: null, reservations };
  }

  /** Settles token reservations with the real total tokens of the request. */
  settle(reservations: Admission['reservations'], actualTokens: number): void {
    for (const r of reservations) {
      const bucket = this.buckets.get(r.key);
      if (bucket === undefined) continue;
      bucket.tokens -= actualTokens - r.tokens;
      this.changed.add(r.key);
    }
  }

  /** The buckets changed since the last call, as rows to upsert. */
  takeChanges(): BucketRow[] {
    const rows: BucketRow[] = [];
    for (const key of this.changed) {
      const bucket = this.buckets.get(key);
      if (bucket !== undefined) rows.push({ key, tokens: bucket.tokens, updated_at: bucket.updatedAt });
    }
    this.changed = new Set();
    return rows;
  }

  snapshot(): BucketRow[] {
    return [...this.buckets.entries()].map(([key, b]) => ({ key, tokens: b.tokens, updated_at: b.updatedAt }));
  }

  restore(rows: readonly BucketRow[]): void {
    for (const row of rows) this.buckets.set(row.key, { tokens: row.tokens, updatedAt: row.updated_at });
  }

  private level(key: string, capacity: number, now: number): number {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: capacity, updatedAt: now };
      this.buckets.set(key, bucket);
    }
    // A clock that steps back refills nothing (rather than draining the bucket).
    bucket.tokens = Math.min(capacity, bucket.tokens + (Math.max(0, now - bucket.updatedAt) * capacity) / 60_000);
    bucket.updatedAt = now;
    return bucket.tokens;
  }

  /** Forgets buckets idle for over a minute (they would be full again anyway). */
  private prune(): void {
    if (this.buckets.size < 10_000) return;
    const cutoff = this.now() - 60_000;
    for (const [key, bucket] of this.buckets) if (bucket.updatedAt < cutoff) this.buckets.delete(key);
  }
}

function subjectOf(limit: CompiledLimit, s: LimitSubject): string {
  switch (limit.per) {
    case 'tenant':
      return s.tenant;
    case 'user':
      return `${s.tenant}/${s.user}`;
    case 'model':
      return s.model;
    case 'key':
      return s.keyId;
  }
}

function tighter(a: LimitReading | null, b: LimitReading): LimitReading {
  if (a === null) return b;
  return b.remaining / b.limit < a.remaining / a.limit ? b : a;
}

/** OpenAI's reset format: "1s", "6m0s", "250ms". */
export function formatResetDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
  const seconds = Math.ceil(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes}m${seconds % 60}s` : `${seconds}s`;
}
