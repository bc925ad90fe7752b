// Live latency per endpoint: an EWMA for ranking (reacts within a few requests) and p50/p95
// over a sliding window for SLO checks and the admin API. Clock injected (tests, simulator).

export interface LatencySnapshot {
  readonly samples: number;
  readonly ewmaMs: number | null;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
}

export interface LatencyTrackerOptions {
  /** Weight of a new sample in the EWMA (0..1). */
  readonly alpha?: number;
  /** Samples older than this leave the percentile window. */
  readonly windowMs?: number;
  /** At most this many samples per endpoint are kept for percentiles. */
  readonly maxSamples?: number;
  readonly now?: () => number;
}

interface EndpointWindow {
  ewma: number | null;
  /** Ring buffer of [time, latency]. */
  readonly times: Float64Array;
  readonly values: Float64Array;
  next: number;
  size: number;
  cached: LatencySnapshot | null;
  cachedAt: number;
}

export class LatencyTracker {
  private readonly alpha: number;
  private readonly windowMs: number;
  private readonly maxSamples: number;
  private readonly now: () => number;
  private readonly endpoints = new Map<string, EndpointWindow>();

  constructor(options: LatencyTrackerOptions = {}) {
    this.alpha = options.alpha ?? 0.3;
    this.windowMs = options.windowMs ?? 5 * 60_000;
    this.maxSamples = options.maxSamples ?? 512;
    this.now = options.now ?? Date.now;
  }

  record(endpoint: string, latencyMs: number): void {
    let w = this.endpoints.get(endpoint);
    if (w === undefined) {
      w = { ewma: null, times: new Float64Array(this.maxSamples), values: new Float64Array(this.maxSamples), next: 0, size: 0, cached: null, cachedAt: 0 };
      this.endpoints.set(endpoint, w);
    }
    w.ewma = w.ewma === null ? latencyMs : w.ewma + this.alpha * (latencyMs - w.ewma);
    w.times[w.next] = this.now();
    w.values[w.next] = latencyMs;
    w.next = (w.next + 1) % this.maxSamples;
    w.size = Math.min(w.size + 1, this.maxSamples);
    w.cached = null;
  }

  /** The EWMA, or null before the first sample (cheap: the ranking hot path reads it). */
  ewma(endpoint: string): number | null {
    return this.endpoints.get(endpoint)?.ewma ?? null;
  }

  snapshot(endpoint: string): LatencySnapshot {
    const w = this.endpoints.get(endpoint);
    if (w === undefined) return { samples: 0, ewmaMs: null, p50Ms: null, p95Ms: null };
    const now = this.now();
    // Samples age out with the clock, so a cached snapshot lives until the next record or 1 s.
    if (w.cached !== null && now - w.cachedAt < 1000) return w.cached;
    const cutoff = now - this.windowMs;
    const recent: number[] = [];
    for (let i = 0; i < w.size; i += 1) if ((w.times[i] ?? 0) >= cutoff) recent.push(w.values[i] ?? 0);
    recent.sort((a, b) => a - b);
    const snapshot = {
      samples: recent.length,
      ewmaMs: w.ewma,
      p50Ms: percentile(recent, 0.5),
      p95Ms: percentile(recent, 0.95),
    };
    w.cached = snapshot;
    w.cachedAt = now;
    return snapshot;
  }

  endpointsSeen(): string[] {
    return [...this.endpoints.keys()];
  }
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? null;
}
