// Active health checks for endpoints that declare `health_check` (meant for on-prem vLLM /
// TGI / Ollama boxes, where a dead server should be skipped before a user waits on it). Each
// probe is a GET of the provider's base URL + path with the connection's auth headers; a
// failed probe marks the endpoint down (its requests are skipped, so an on-prem-only request
// fails closed at once) and counts as a breaker failure; a good probe marks it up again but
// leaves an open breaker to its own cool-down and probe request (a server answering GET
// /models may still fail chats). Probes are scheduled on an injectable timer.
import { request } from 'undici';
import type { CompiledPolicy } from '../policy/compile-policy.js';
import type { BreakerRegistry } from './circuit-breaker.js';

export interface HealthTarget {
  /** Full URL probed. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface HealthStatus {
  readonly endpoint: string;
  readonly up: boolean;
  readonly checkedAt: number | null;
  readonly lastError: string | null;
}

export interface HealthMonitor {
  /** False only when the last probe of a checked endpoint failed. */
  isUp(endpoint: string): boolean;
  list(): HealthStatus[];
  /** Probes every checked endpoint once now (tests; start-up). */
  checkAll(): Promise<void>;
  /** Re-reads the endpoints to check from a (new) policy. */
  watch(policy: CompiledPolicy | null): void;
  close(): void;
}

export interface HealthMonitorDeps {
  /** Where to probe a policy endpoint's provider, or undefined when it is not configured. */
  readonly locate: (provider: string, path: string) => HealthTarget | undefined;
  readonly breakers: BreakerRegistry;
  readonly now?: () => number;
  /** Set false in tests to drive probes with checkAll() only. */
  readonly timers?: boolean;
  /** Calls `probe` every `ms`; returns a stop function. Default: an unref'd setInterval. */
  readonly schedule?: (probe: () => void, ms: number) => () => void;
  /** Each probe's result (logging an endpoint going down, tests). */
  readonly onStatus?: (status: HealthStatus) => void;
}

function scheduleWithInterval(probe: () => void, ms: number): () => void {
  const timer = setInterval(probe, ms);
  timer.unref();
  return () => clearInterval(timer);
}

interface Checked {
  readonly endpoint: string;
  readonly target: HealthTarget;
  readonly timeoutMs: number;
  status: HealthStatus;
}

export function createHealthMonitor(deps: HealthMonitorDeps): HealthMonitor {
  const now = deps.now ?? Date.now;
  let checked = new Map<string, Checked>();
  const schedule = deps.schedule ?? scheduleWithInterval;
  let stops: (() => void)[] = [];

  async function probe(entry: Checked): Promise<void> {
    let error: string | null = null;
    try {
      const response = await request(entry.target.url, {
        method: 'GET',
        headers: { ...entry.target.headers },
        headersTimeout: entry.timeoutMs,
        bodyTimeout: entry.timeoutMs,
        signal: AbortSignal.timeout(entry.timeoutMs),
      });
      await response.body.dump();
      if (response.statusCode >= 500) error = `HTTP ${response.statusCode}`;
    } catch (cause) {
      error = (cause as Error).message;
    }
    if (error !== null) deps.breakers.get(entry.endpoint).recordFailure();
    entry.status = { endpoint: entry.endpoint, up: error === null, checkedAt: now(), lastError: error };
    deps.onStatus?.(entry.status);
  }

  return {
    isUp: (endpoint) => checked.get(endpoint)?.status.up ?? true,
    list: () => [...checked.values()].map((c) => c.status),
    checkAll: async () => {
      await Promise.all([...checked.values()].map(probe));
    },
    watch(policy) {
      for (const stop of stops) stop();
      stops = [];
      const next = new Map<string, Checked>();
      for (const endpoint of Object.values(policy?.endpoints ?? {})) {
        if (endpoint.healthCheck === null) continue;
        const target = deps.locate(endpoint.provider, endpoint.healthCheck.path);
        if (target === undefined) continue;
        const previous = checked.get(endpoint.name);
        const entry: Checked = {
          endpoint: endpoint.name,
          target,
          timeoutMs: endpoint.healthCheck.timeoutMs,
          status: previous?.status ?? { endpoint: endpoint.name, up: true, checkedAt: null, lastError: null },
        };
        next.set(endpoint.name, entry);
        if (deps.timers !== false) {
          stops.push(schedule(() => void probe(entry), endpoint.healthCheck.intervalMs));
          void probe(entry);
        }
      }
      checked = next;
    },
    close() {
      for (const stop of stops) stop();
      stops = [];
    },
  };
}
