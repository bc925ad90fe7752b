// One circuit breaker per endpoint. Closed: requests flow; it opens after N consecutive
// failures, or when the failure ratio over a sliding window of recent outcomes crosses a
// threshold (with a minimum of samples). Open: requests skip the endpoint until the cool-down
// ends. Half-open: exactly one probe request is let through; success closes the breaker,
// failure re-opens it for another cool-down. Clock injected.

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  readonly consecutiveFailures?: number;
  readonly failureRatio?: number;
  /** Outcomes the ratio is computed over. */
  readonly window?: number;
  /** The ratio is only considered once the window holds this many outcomes. */
  readonly minSamples?: number;
  readonly coolDownMs?: number;
  readonly now?: () => number;
}

export interface BreakerStatus {
  readonly endpoint: string;
  readonly state: BreakerState;
  readonly consecutiveFailures: number;
  readonly failureRatio: number;
  readonly openedAt: number | null;
  /** When an open breaker lets its probe through. */
  readonly retryAt: number | null;
  readonly opens: number;
}

export class CircuitBreaker {
  private state: BreakerState = 'closed';
  private consecutive = 0;
  private readonly outcomes: boolean[] = [];
  private failuresInWindow = 0;
  private openedAt: number | null = null;
  private probeInFlight = false;
  private probeStartedAt = 0;
  private opens = 0;

  constructor(
    readonly endpoint: string,
    private readonly options: Required<BreakerOptions>,
  ) {}

  /** Whether a request may be sent now; in half-open only the one probe may. */
  tryAcquire(): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open') {
      if (this.options.now() - (this.openedAt ?? 0) < this.options.coolDownMs) return false;
      this.state = 'half_open';
      this.probeInFlight = false;
    }
    // A probe that never reported back (its client went away) must not wedge the breaker.
    if (this.probeInFlight && this.options.now() - this.probeStartedAt < this.options.coolDownMs) return false;
    this.probeInFlight = true;
    this.probeStartedAt = this.options.now();
    return true;
  }

  /** Whether tryAcquire() would let a request through (no side effects; for ranking). */
  isAvailable(): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open') return this.options.now() - (this.openedAt ?? 0) >= this.options.coolDownMs;
    return !this.probeInFlight;
  }

  recordSuccess(): void {
    this.push(true);
    this.consecutive = 0;
    if (this.state !== 'closed') this.close();
  }

  recordFailure(): void {
    this.push(false);
    this.consecutive += 1;
    if (this.state === 'half_open') {
      this.open();
      return;
    }
    if (this.state !== 'closed') return;
    const ratio = this.failuresInWindow / this.outcomes.length;
    if (
      this.consecutive >= this.options.consecutiveFailures ||
      (this.outcomes.length >= this.options.minSamples && ratio >= this.options.failureRatio)
    ) {
      this.open();
    }
  }

  /** A probe that ended without a verdict (client went away) frees the half-open slot. */
  release(): void {
    if (this.state === 'half_open') this.probeInFlight = false;
  }

  status(): BreakerStatus {
    // Report an open breaker whose cool-down has passed as half-open: that is what it is now.
    const coolDownOver = this.state === 'open' && this.options.now() - (this.openedAt ?? 0) >= this.options.coolDownMs;
    return {
      endpoint: this.endpoint,
      state: coolDownOver ? 'half_open' : this.state,
      consecutiveFailures: this.consecutive,
      failureRatio: this.outcomes.length === 0 ? 0 : this.failuresInWindow / this.outcomes.length,
      openedAt: this.openedAt,
      retryAt: this.state === 'closed' || this.openedAt === null ? null : this.openedAt + this.options.coolDownMs,
      opens: this.opens,
    };
  }

  private push(ok: boolean): void {
    this.outcomes.push(ok);
    if (!ok) this.failuresInWindow += 1;
    if (this.outcomes.length > this.options.window) {
      if (this.outcomes.shift() === false) this.failuresInWindow -= 1;
    }
  }

  private open(): void {
    this.state = 'open';
    this.openedAt = this.options.now();
    this.probeInFlight = false;
    this.opens += 1;
  }

  private close(): void {
    this.state = 'closed';
    this.openedAt = null;
    this.probeInFlight = false;
    this.consecutive = 0;
    this.outcomes.length = 0;
    this.failuresInWindow = 0;
  }
}

/** The breakers of every endpoint, created on first use. */
export class BreakerRegistry {
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly options: Required<BreakerOptions>;

  constructor(options: BreakerOptions = {}) {
    this.options = {
      consecutiveFailures: options.consecutiveFailures ?? 5,
      failureRatio: options.failureRatio ?? 0.5,
      window: options.window ?? 20,
      minSamples: options.minSamples ?? 10,
      coolDownMs: options.coolDownMs ?? 30_000,
      now: options.now ?? Date.now,
    };
  }

  get(endpoint: string): CircuitBreaker {
    let breaker = this.breakers.get(endpoint);
    if (breaker === undefined) {
      breaker = new CircuitBreaker(endpoint, this.options);
      this.breakers.set(endpoint, breaker);
    }
    return breaker;
  }

  /** State without creating a breaker: an endpoint never tried is closed. */
  stateOf(endpoint: string): BreakerState {
    return this.breakers.get(endpoint)?.status().state ?? 'closed';
  }

  isAvailable(endpoint: string): boolean {
    return this.breakers.get(endpoint)?.isAvailable() ?? true;
  }

  list(): BreakerStatus[] {
    return [...this.breakers.values()].map((b) => b.status());
  }
}
