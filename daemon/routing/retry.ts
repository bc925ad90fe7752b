// When and how long to wait before trying again: exponential backoff with full jitter
// (AWS's "Exponential Backoff And Jitter"), a server's retry-after honoured when it asks for
// longer, and a retry budget so an outage cannot multiply traffic: retries may be at most a
// fraction of the requests seen over a sliding window. Nothing is retried once a stream has
// started sending to the client (the caller decides that; see attempt-policy.ts).

export interface BackoffOptions {
  readonly baseMs?: number;
  readonly maxMs?: number;
}

/** Full jitter: uniform in [0, min(max, base·2^attempt)). `attempt` counts from 0. */
export function backoffDelayMs(attempt: number, random: () => number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 100;
  const max = options.maxMs ?? 5_000;
  const ceiling = Math.min(max, base * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/** Parses retry-after (seconds or an HTTP date) and retry-after-ms into ms; null if absent or bad. */
export function parseRetryAfterMs(headers: Readonly<Record<string, string | string[] | undefined>>, now: number): number | null {
  const ms = first(headers['retry-after-ms']);
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms)) return Math.ceil(Number(ms));
  const value = first(headers['retry-after']);
  if (value === undefined) return null;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export interface RetryBudgetOptions {
  /** Retries allowed as a fraction of requests over the window. */
  readonly ratio?: number;
  /** Retries always allowed per window, so a quiet daemon can still retry. */
  readonly minRetries?: number;
  readonly windowMs?: number;
  readonly now?: () => number;
}

/**
 * Counts requests and retries in one-second buckets over a sliding window; a retry is allowed
 * while retries ≤ max(minRetries, ratio × requests).
 */
export class RetryBudget {
  private readonly ratio: number;
  private readonly minRetries: number;
  private readonly bucketMs = 1000;
  private readonly buckets: number;
  private readonly now: () => number;
  private readonly requests: Float64Array;
  private readonly retries: Float64Array;
  private readonly stamps: Float64Array;

  constructor(options: RetryBudgetOptions = {}) {
    this.ratio = options.ratio ?? 0.2;
    this.minRetries = options.minRetries ?? 10;
    this.buckets = Math.max(1, Math.round((options.windowMs ?? 10_000) / this.bucketMs));
    this.now = options.now ?? Date.now;
    this.requests = new Float64Array(this.buckets);
    this.retries = new Float64Array(this.buckets);
    this.stamps = new Float64Array(this.buckets).fill(-1);
  }

  recordRequest(): void {
    const i = this.slot();
    this.requests[i] = (this.requests[i] ?? 0) + 1;
  }

  /** Takes one retry from the budget if there is one left. */
  tryRetry(): boolean {
    const { requests, retries } = this.totals();
    if (retries + 1 > Math.max(this.minRetries, this.ratio * requests)) return false;
    const i = this.slot();
    this.retries[i] = (this.retries[i] ?? 0) + 1;
    return true;
  }

  totals(): { requests: number; retries: number } {
    const current = Math.floor(this.now() / this.bucketMs);
    let requests = 0;
    let retries = 0;
    for (let i = 0; i < this.buckets; i += 1) {
      if ((this.stamps[i] ?? -1) > current - this.buckets) {
        requests += this.requests[i] ?? 0;
        retries += this.retries[i] ?? 0;
      }
    }
    return { requests, retries };
  }

  private slot(): number {
    const bucket = Math.floor(this.now() / this.bucketMs);
    const i = bucket % this.buckets;
    if (this.stamps[i] !== bucket) {
      this.stamps[i] = bucket;
      this.requests[i] = 0;
      this.retries[i] = 0;
    }
    return i;
  }
}
