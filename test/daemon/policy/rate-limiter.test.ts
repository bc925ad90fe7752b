// RateLimiter on an injected clock: continuous refill, a request bigger than its estimate puts
// the bucket in debt (delaying the next one instead of losing the count), a clock stepping back
// refills nothing, and a snapshot restored into a new limiter (a restarted daemon) goes on
// where the old one stopped.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parsePolicy } from '../../../daemon/policy/load-policy.js';
import { createPolicyRuntime } from '../../../daemon/policy/policy-runtime.js';
import { RateLimiter, formatResetDuration } from '../../../daemon/policy/rate-limiter.js';
import { createSpendStore } from '../../../daemon/policy/spend-store.js';
import { openDatabase } from '../../../daemon/store/db.js';

const policy = parsePolicy(
  `version: 1
endpoints: { e: { provider: p, model: m } }
default: { route_to: e }
limits:
  - { per: tenant, requests_per_min: 2, tokens_per_min: 600 }
`,
  'limits.yaml',
);
const acme = { tenant: 'acme', user: 'alice', model: 'chat', keyId: 'k1' };

describe('RateLimiter', () => {
  it('refills continuously and tells how long to wait', () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(() => now);
    expect(limiter.admit(policy, acme, () => 10).allowed).toBe(true);
    expect(limiter.admit(policy, acme, () => 10).allowed).toBe(true);
    const refused = limiter.admit(policy, acme, () => 10);
    expect(refused).toMatchObject({ allowed: false, retryAfterMs: 30_000, requests: { limit: 2, remaining: 0, resetMs: 60_000 } });
    now += 30_000;
    expect(limiter.admit(policy, acme, () => 10).allowed).toBe(true);
  });

  it('settles with real usage: a bigger answer leaves debt that delays the next request', () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(() => now);
    const first = limiter.admit(policy, acme, () => 100);
    limiter.settle(first.reservations, 900); // 800 more than reserved: the bucket is at -300
    const refused = limiter.admit(policy, acme, () => 100);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBe(40_000); // (100 - -300) tokens at 10 per second
    now += 40_000;
    expect(limiter.admit(policy, acme, () => 100).allowed).toBe(true);
  });

  it('refills nothing when the clock steps back', () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(() => now);
    limiter.admit(policy, acme, () => 10);
    now -= 3_600_000;
    expect(limiter.admit(policy, acme, () => 10).allowed).toBe(true); // the second of two, as before the step
  });

  it('goes on from a snapshot in a new limiter', () => {
    const now = 1_000_000;
    const limiter = new RateLimiter(() => now);
    limiter.admit(policy, acme, () => 10);
    limiter.admit(policy, acme, () => 10);
    const restarted = new RateLimiter(() => now);
    restarted.restore(limiter.snapshot());
    expect(restarted.admit(policy, acme, () => 10).allowed).toBe(false);
    expect(restarted.admit(policy, { ...acme, tenant: 'globex' }, () => 10).allowed).toBe(true);
  });

  it("formats reset durations as OpenAI's headers do", () => {
    expect(formatResetDuration(250)).toBe('250ms');
    expect(formatResetDuration(1000)).toBe('1s');
    expect(formatResetDuration(360_000)).toBe('6m0s');
    expect(formatResetDuration(61_500)).toBe('1m2s');
  });

  describe('in the policy runtime', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('checkpoints changed buckets every 10 s, so a daemon that crashes keeps them', () => {
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      const dir = mkdtempSync(join(tmpdir(), 'kagami-buckets-'));
      const db = openDatabase(dir);
      try {
        const now = 1_000_000;
        const runtime = createPolicyRuntime({ config: { providers: [], models: [] }, db, policy, now: () => now, healthTimers: false });
        runtime.limiter.admit(policy, acme, () => 10);
        runtime.limiter.admit(policy, acme, () => 10);
        expect(createSpendStore(db).loadBuckets()).toEqual([]);
        vi.advanceTimersByTime(10_000);
        // No close(): as after a crash, only the checkpoint is on disk.
        const restarted = new RateLimiter(() => now);
        restarted.restore(createSpendStore(db).loadBuckets());
        expect(restarted.admit(policy, acme, () => 10).allowed).toBe(false);
        runtime.close();
      } finally {
        db.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
