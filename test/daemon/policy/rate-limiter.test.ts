// RateLimiter on an injected clock: continuous refill, a request bigger than its estimate puts
// the bucket in debt (delaying the next one instead of losing the count), a clock stepping back
// refills nothing, and a snapshot restored into a new limiter (a restarted daemon) goes on
// where the old one stopped.
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../../daemon/policy/load-policy.js';
import { RateLimiter, formatResetDuration } from '../../../daemon/policy/rate-limiter.js';

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
});
