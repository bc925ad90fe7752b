// Active health checks against a real loopback upstream, on an injected schedule: the first
// probe at watch(), the next ones when the schedule fires, status changes reported, failures
// counted by the endpoint's breaker, and schedules stopped on policy swaps and close().
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../../../daemon/mock-upstream/server.js';
import { parsePolicy } from '../../../daemon/policy/load-policy.js';
import { BreakerRegistry } from '../../../daemon/routing/circuit-breaker.js';
import { createHealthMonitor, type HealthMonitor, type HealthStatus } from '../../../daemon/routing/health-check.js';

const POLICY = (healthCheck: string) => `version: 1
endpoints:
  local: { provider: onprem, model: llama, on_prem: true${healthCheck} }
  cloud: { provider: cloud, model: gpt-4o-mini }
default: { route_to: local }
`;

let upstream: MockUpstream;
let monitor: HealthMonitor | null = null;

beforeEach(async () => {
  upstream = await startMockUpstream({ apiKey: 'sk-onprem' });
});

afterEach(async () => {
  monitor?.close();
  monitor = null;
  await upstream.close();
});

function setUp(breakers = new BreakerRegistry({ consecutiveFailures: 2, coolDownMs: 30_000, now: () => 0 })) {
  const scheduled: { probe: () => void; ms: number; stopped: boolean }[] = [];
  const statuses: HealthStatus[] = [];
  let waiting: ((status: HealthStatus) => void) | null = null;
  monitor = createHealthMonitor({
    breakers,
    now: () => 1234,
    locate: (provider, path) => (provider === 'onprem' ? { url: `${upstream.url}${path}`, headers: { authorization: 'Bearer sk-onprem' } } : undefined),
    schedule: (probe, ms) => {
      const entry = { probe, ms, stopped: false };
      scheduled.push(entry);
      return () => {
        entry.stopped = true;
      };
    },
    onStatus: (status) => {
      statuses.push(status);
      waiting?.(status);
    },
  });
  const nextStatus = (): Promise<HealthStatus> => new Promise((resolve) => (waiting = resolve));
  return { monitor, scheduled, statuses, nextStatus, breakers };
}

describe('createHealthMonitor', () => {
  it('probes at watch() and on every scheduled tick, with the connection auth, and marks the endpoint down and up', async () => {
    const { monitor, scheduled, nextStatus, breakers } = setUp();
    const first = nextStatus();
    monitor.watch(parsePolicy(POLICY(', health_check: { path: /models, interval_ms: 5000, timeout_ms: 1000 }'), 'p.yaml'));
    expect(scheduled.map((s) => s.ms)).toEqual([5000]); // only the endpoint that asks for checks
    expect(await first).toEqual({ endpoint: 'local', up: true, checkedAt: 1234, lastError: null });
    expect(upstream.stats.byPath['/v1/models']).toBe(1);
    expect(upstream.stats.recent.at(-1)?.headers.authorization).toBe('Bearer sk-onprem');

    upstream.setFaults({ errorRate: 1, errorStatus: 503 });
    let next = nextStatus();
    scheduled[0]?.probe();
    expect(await next).toMatchObject({ up: false, lastError: 'HTTP 503' });
    expect(monitor.isUp('local')).toBe(false);
    expect(monitor.isUp('cloud')).toBe(true); // not checked: always up
    expect(breakers.get('local').status()).toMatchObject({ state: 'closed', consecutiveFailures: 1 });

    next = nextStatus();
    scheduled[0]?.probe();
    await next;
    expect(breakers.stateOf('local')).toBe('open'); // two failed probes = two breaker failures

    // Back up: the monitor says so at once; the breaker keeps its own cool-down and probe request.
    upstream.setFaults({});
    next = nextStatus();
    scheduled[0]?.probe();
    expect(await next).toMatchObject({ up: true, lastError: null });
    expect(monitor.isUp('local')).toBe(true);
    expect(breakers.stateOf('local')).toBe('open');
  });

  it('counts a refused connection and a probe timeout as down', async () => {
    const { monitor, scheduled, nextStatus } = setUp();
    let next = nextStatus();
    monitor.watch(parsePolicy(POLICY(', health_check: { path: /models, interval_ms: 5000, timeout_ms: 200 }'), 'p.yaml'));
    await next;
    upstream.setFaults({ stall: 'before-headers' });
    next = nextStatus();
    scheduled[0]?.probe();
    expect((await next).up).toBe(false);

    await upstream.close();
    next = nextStatus();
    scheduled[0]?.probe();
    expect(await next).toMatchObject({ up: false, lastError: expect.stringMatching(/ECONNREFUSED|connect/) });
  });

  it('stops the old schedule when the policy changes, keeps known status, and stops on close()', async () => {
    const { monitor, scheduled, nextStatus } = setUp();
    const first = nextStatus();
    monitor.watch(parsePolicy(POLICY(', health_check: { interval_ms: 5000 }'), 'p.yaml'));
    await first;
    upstream.setFaults({ errorRate: 1, errorStatus: 500 });
    const down = nextStatus();
    scheduled[0]?.probe();
    await down;

    const again = nextStatus();
    monitor.watch(parsePolicy(POLICY(', health_check: { interval_ms: 1000 }'), 'p.yaml'));
    expect(scheduled.map((s) => [s.ms, s.stopped])).toEqual([
      [5000, true],
      [1000, false],
    ]);
    await again;
    monitor.watch(parsePolicy(POLICY(''), 'p.yaml'));
    expect(scheduled[1]?.stopped).toBe(true);
    expect(monitor.list()).toEqual([]);
    expect(monitor.isUp('local')).toBe(true);
    monitor.close();
  });
});
