// Live request data for the views, fed by the event stream. At 200 requests/s the UI must
// stay smooth, so events are buffered and subscribers are told at most once per `flushMs`
// (one render per batch, not per event); charts read per-second buckets, not raw events.
// When the stream (re)connects, the last minutes of the audit trail are merged in underneath
// (seed), so the table and charts are not empty after opening the app or a reconnect.
// No DOM here: the scheduler is injected, so this is tested under Node.

import type { AuditRow } from '../shared/schemas/audit.js';
import type { RequestEvent } from '../shared/schemas/events.js';

export interface LiveFilter {
  text: string;
  status: 'all' | 'ok' | 'error';
}

export interface SecondBucket {
  count: number;
  errors: number;
  latencies: number[];
  costUsd: number;
}

export interface SeriesPoint {
  /** Second (epoch) the bucket covers. */
  t: number;
  count: number;
  errors: number;
  p50: number | null;
  p95: number | null;
}

export interface SpendRow {
  key: string;
  costUsd: number;
  requests: number;
  tokens: number;
}

const OVERALL = '*';
export const groupKey = (e: Pick<RequestEvent, 'provider' | 'endpoint'>): string => `${e.provider ?? '—'} / ${e.endpoint ?? '—'}`;

export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? null;
}

export function matchesFilter(e: RequestEvent, filter: LiveFilter): boolean {
  if (filter.status === 'ok' && e.status >= 400) return false;
  if (filter.status === 'error' && e.status < 400) return false;
  const needle = filter.text.trim().toLowerCase();
  if (needle === '') return true;
  return [e.tenant, e.user, e.requested_model, e.provider, e.endpoint, e.upstream_model, e.rule, e.trace_id, e.error_code]
    .some((v) => v !== null && v !== undefined && v.toLowerCase().includes(needle));
}

/** The live-event view of an audit row (what the daemon publishes on kagami:request:end). */
export function requestEventOf(row: AuditRow): RequestEvent {
  const { seq: _seq, prev_hash: _prev, hash: _hash, request_sha256: _request, response_sha256: _response, ...event } = row;
  return event;
}

export interface LiveStoreOptions {
  /** Rows kept for the table (newest). */
  capacity?: number;
  /** Seconds of per-second buckets kept for charts. */
  windowS?: number;
  /** Minimum time between two notifications. */
  flushMs?: number;
  /** Runs `fn` later (the browser wraps setTimeout + requestAnimationFrame). */
  schedule?: (fn: () => void, delayMs: number) => void;
  now?: () => number;
}

export class LiveStore {
  readonly #capacity: number;
  readonly #windowS: number;
  readonly #flushMs: number;
  readonly #schedule: (fn: () => void, delayMs: number) => void;
  readonly #now: () => number;
  /** Oldest first; trimmed in chunks so pushes stay O(1) amortised. */
  #events: RequestEvent[] = [];
  #visible: RequestEvent[] = [];
  #paused = false;
  #pending = 0;
  #flushScheduled = false;
  #listeners = new Set<() => void>();
  /** group → second → bucket; OVERALL aggregates every group. */
  #buckets = new Map<string, Map<number, SecondBucket>>();
  #spend = { tenant: new Map<string, SpendRow>(), model: new Map<string, SpendRow>(), endpoint: new Map<string, SpendRow>() };
  #total = 0;
  /** Trace ids of the rows held, so history merged in never duplicates a live row. */
  #traces = new Set<string>();
  #clearedAt = -Infinity;
  /** When this store (the page) started: spend counts requests from then on. */
  readonly #openedAt: number;
  version = 0;

  constructor(options: LiveStoreOptions = {}) {
    this.#capacity = options.capacity ?? 5_000;
    this.#windowS = options.windowS ?? 300;
    this.#flushMs = options.flushMs ?? 100;
    this.#schedule = options.schedule ?? ((fn, ms) => setTimeout(fn, ms));
    this.#now = options.now ?? Date.now;
    this.#openedAt = this.#now();
  }

  push(events: readonly RequestEvent[]): void {
    let added = 0;
    for (const e of events) {
      // Already merged in from the audit trail (its row is committed before the event is sent).
      if (this.#traces.has(e.trace_id)) continue;
      this.#events.push(e);
      this.#traces.add(e.trace_id);
      this.#accountChart(e);
      this.#accountSpend(e);
      added += 1;
    }
    this.#total += added;
    if (this.#events.length > this.#capacity * 1.25) this.#trim();
    if (this.#paused) this.#pending += added;
    this.#requestFlush();
  }

  /**
   * Merges earlier requests (the audit trail's recent rows) under the live ones: rows already
   * held are skipped, the table stays in time order, charts include them. Spend stays "since
   * the page opened": history from before does not count there.
   */
  seed(history: readonly RequestEvent[]): void {
    const fresh = history.filter((e) => !this.#traces.has(e.trace_id) && e.ts > this.#clearedAt);
    if (fresh.length === 0) return;
    for (const e of fresh) {
      this.#traces.add(e.trace_id);
      this.#accountChart(e);
      if (e.ts >= this.#openedAt) this.#accountSpend(e);
    }
    this.#events = [...fresh, ...this.#events].sort((a, b) => a.ts - b.ts);
    this.#trim();
    this.#requestFlush();
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Paused: the table stays still (charts keep moving); resuming shows what arrived. */
  setPaused(paused: boolean): void {
    this.#paused = paused;
    if (!paused) this.#pending = 0;
    this.#requestFlush();
  }

  clear(): void {
    this.#events = [];
    this.#traces.clear();
    // What was cleared stays cleared: history from before now is not merged back in.
    this.#clearedAt = this.#now();
    this.#pending = 0;
    this.#requestFlush();
  }

  /** Newest first, as of the last flush. */
  rows(): readonly RequestEvent[] {
    return this.#visible;
  }

  pendingWhilePaused(): number {
    return this.#pending;
  }

  totalSeen(): number {
    return this.#total;
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Groups (provider / endpoint) seen in the window, busiest first. */
  groups(): string[] {
    const counts: Array<[string, number]> = [];
    for (const [key, buckets] of this.#buckets) {
      if (key === OVERALL) continue;
      let n = 0;
      for (const b of buckets.values()) n += b.count;
      counts.push([key, n]);
    }
    return counts.sort((a, b) => b[1] - a[1]).map(([k]) => k);
  }

  /** One point per second over the window for a group (or all traffic), oldest first. */
  series(group: string = OVERALL): SeriesPoint[] {
    const now = Math.floor(this.#now() / 1000);
    const buckets = this.#buckets.get(group);
    const points: SeriesPoint[] = [];
    for (let t = now - this.#windowS + 1; t <= now; t++) {
      const b = buckets?.get(t);
      if (!b) {
        points.push({ t, count: 0, errors: 0, p50: null, p95: null });
        continue;
      }
      const sorted = [...b.latencies].sort((x, y) => x - y);
      points.push({ t, count: b.count, errors: b.errors, p50: percentile(sorted, 50), p95: percentile(sorted, 95) });
    }
    return points;
  }

  /** Requests per second over the last `seconds` complete seconds. */
  rate(seconds = 5): number {
    const now = Math.floor(this.#now() / 1000);
    const buckets = this.#buckets.get(OVERALL);
    let n = 0;
    for (let t = now - seconds; t < now; t++) n += buckets?.get(t)?.count ?? 0;
    return n / seconds;
  }

  spend(by: 'tenant' | 'model' | 'endpoint'): SpendRow[] {
    return [...this.#spend[by].values()].sort((a, b) => b.costUsd - a.costUsd);
  }

  #trim(): void {
    if (this.#events.length <= this.#capacity) return;
    for (const e of this.#events.splice(0, this.#events.length - this.#capacity)) this.#traces.delete(e.trace_id);
  }

  #accountChart(e: RequestEvent): void {
    const second = Math.floor(e.ts / 1000);
    const error = e.status >= 400;
    const latency = e.latency_ms;
    for (const key of [OVERALL, groupKey(e)]) {
      let buckets = this.#buckets.get(key);
      if (!buckets) this.#buckets.set(key, (buckets = new Map()));
      let b = buckets.get(second);
      if (!b) buckets.set(second, (b = { count: 0, errors: 0, latencies: [], costUsd: 0 }));
      b.count += 1;
      if (error) b.errors += 1;
      b.latencies.push(latency);
      b.costUsd += e.cost_usd ?? 0;
    }
  }

  #accountSpend(e: RequestEvent): void {
    const add = (map: Map<string, SpendRow>, key: string | null): void => {
      const k = key ?? '—';
      const row = map.get(k) ?? { key: k, costUsd: 0, requests: 0, tokens: 0 };
      row.costUsd += e.cost_usd ?? 0;
      row.requests += 1;
      row.tokens += e.total_tokens ?? 0;
      map.set(k, row);
    };
    add(this.#spend.tenant, e.tenant);
    add(this.#spend.model, e.requested_model);
    add(this.#spend.endpoint, e.endpoint);
  }

  #prune(): void {
    const oldest = Math.floor(this.#now() / 1000) - this.#windowS;
    for (const [key, buckets] of this.#buckets) {
      for (const t of buckets.keys()) if (t < oldest) buckets.delete(t);
      if (buckets.size === 0) this.#buckets.delete(key);
    }
  }

  #requestFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    this.#schedule(() => this.#flush(), this.#flushMs);
  }

  #flush(): void {
    this.#flushScheduled = false;
    this.#prune();
    if (!this.#paused) {
      const start = Math.max(0, this.#events.length - this.#capacity);
      this.#visible = this.#events.slice(start).reverse();
    }
    this.version += 1;
    for (const listener of this.#listeners) listener();
  }
}
