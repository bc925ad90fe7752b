// The contract every routing action keeps (route_to + fallback, weighted, cheapest, fastest,
// cost_latency), as one suite each kind runs through decideRoute: every target tried once
// before any retry, open breakers last, unusable targets dropped with a reason, the on-prem
// guard applied whatever the strategy, and the same order for the same seed.
import { describe, expect, it } from 'vitest';
import { decideRoute, matchRule, type RoutingEnvironment } from '../../../daemon/policy/evaluate.js';
import { parsePolicy } from '../../../daemon/policy/load-policy.js';
import { buildRequestFacts } from '../../../daemon/policy/request-facts.js';
import { createTargetResolver } from '../../../daemon/policy/target-resolver.js';
import { BreakerRegistry } from '../../../daemon/routing/circuit-breaker.js';
import { LatencyTracker } from '../../../daemon/routing/latency-tracker.js';
import { seededRandom } from '../../../daemon/routing/strategies.js';
import { createReplayContext } from '../../../daemon/simulator/replay-context.js';

const ACTIONS: Record<string, string> = {
  route_to: 'route_to: a\n  fallback: [b, c]',
  weighted: 'weighted: [{ endpoint: a, weight: 1 }, { endpoint: b, weight: 2 }, { endpoint: c, weight: 1 }]',
  cheapest: 'strategy: { type: cheapest, targets: [a, b, c] }',
  fastest: 'strategy: { type: fastest, targets: [a, b, c] }',
  cost_latency: 'strategy: { type: cost_latency, targets: [a, b, c], latency_weight: 0.5, slo_ms: 700 }',
};

function policyFor(action: string, extraEndpoint = '') {
  return parsePolicy(
    `version: 1
endpoints:
  a: { provider: pa, model: m-a, price: { input_per_1m: 3, output_per_1m: 9 }, latency_hint_ms: 200 }
  b: { provider: pb, model: m-b, price: { input_per_1m: 1, output_per_1m: 2 }, latency_hint_ms: 800 }
  c: { provider: pc, model: m-c, on_prem: true, price: { input_per_1m: 0, output_per_1m: 0 }, latency_hint_ms: 500 }${extraEndpoint}
data_classes:
  secret: { on_prem_only: true }
default:
  ${action}
  retries: 2
`,
    'contract.yaml',
  );
}

function setUp(action: string, options: { seed?: number; headers?: Record<string, string>; extraEndpoint?: string } = {}) {
  const policy = policyFor(action, options.extraEndpoint);
  const breakers = new BreakerRegistry({ consecutiveFailures: 1, coolDownMs: 60_000, now: () => 0 });
  const env: RoutingEnvironment = {
    resolveTarget: createTargetResolver({ providers: [{ id: 'pa' }, { id: 'pb' }, { id: 'pc', on_prem: true }], models: [] }),
    latency: new LatencyTracker({ now: () => 0 }),
    breakers,
    random: seededRandom(options.seed ?? 3),
    promptTokens: () => 500,
    completionTokens: () => 200,
  };
  const ctx = createReplayContext({ tenant: 't', headers: options.headers, body: { model: 'x', messages: [] }, at: 0 });
  const { facts } = buildRequestFacts(ctx, policy, new Set());
  const decide = () => decideRoute(policy, facts, matchRule(policy, facts).rule, env);
  return { decide, breakers };
}

describe.each(Object.keys(ACTIONS))('routing action %s', (kind) => {
  const action = ACTIONS[kind] as string;

  it('lists every target once before any retry, then goes round again for the retries', () => {
    const { candidates, report } = setUp(action).decide();
    const names = report.map((r) => r.endpoint);
    expect([...names].sort()).toEqual(['a', 'b', 'c']);
    expect(candidates.map((c) => c.endpoint)).toEqual([...names, names[0], names[1]]);
  });

  it('puts endpoints with an open breaker after the healthy ones', () => {
    const first = setUp(action).decide().report[0]?.endpoint ?? '';
    const { decide, breakers } = setUp(action);
    breakers.get(first).recordFailure(); // consecutiveFailures: 1 → open
    const { report } = decide();
    expect(report.at(-1)).toMatchObject({ endpoint: first, breaker: 'open' });
    expect(report.slice(0, -1).every((r) => r.breaker === 'closed')).toBe(true);
  });

  it('drops a target whose provider is not configured, with the reason, and keeps the others', () => {
    const extra = '\n  d: { provider: nowhere, model: m-d }';
    const { decide } = setUp(action.replace('[a, b, c]', '[a, b, c, d]').replace('fallback: [b, c]', 'fallback: [b, c, d]').replace('{ endpoint: c, weight: 1 }]', '{ endpoint: c, weight: 1 }, { endpoint: d, weight: 5 }]'), { extraEndpoint: extra });
    const decision = decide();
    expect(decision.dropped).toEqual([{ endpoint: 'd', reason: 'its provider is not configured' }]);
    expect(decision.report.map((r) => r.endpoint).sort()).toEqual(['a', 'b', 'c']);
  });

  it('keeps on-prem-only requests on on-prem endpoints, whatever the strategy ranked first', () => {
    const decision = setUp(action, { headers: { 'x-kagami-data-class': 'secret' } }).decide();
    expect(decision.report.map((r) => r.endpoint)).toEqual(['c']);
    expect(decision.dropped.map((d) => [d.endpoint, d.reason]).sort()).toEqual([
      ['a', 'not on_prem'],
      ['b', 'not on_prem'],
    ]);
    expect(decision.onPremReason).toMatch(/data class "secret"/);
  });

  it('gives the same order for the same seed', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const one = setUp(action, { seed }).decide().report.map((r) => r.endpoint);
      const two = setUp(action, { seed }).decide().report.map((r) => r.endpoint);
      expect(two).toEqual(one);
    }
  });
});

describe('what each action puts first (documented behaviour)', () => {
  const first = (kind: string) => setUp(ACTIONS[kind] as string).decide().report[0]?.endpoint;

  it('route_to: the named endpoint; cheapest: the lowest price × tokens; fastest: the lowest latency', () => {
    expect(first('route_to')).toBe('a');
    expect(first('cheapest')).toBe('c'); // free on-prem
    expect(first('fastest')).toBe('a'); // 200 ms hint
  });

  it('cost_latency: best blend among endpoints within the SLO (b at 800 ms misses the 700 ms SLO)', () => {
    const { report } = setUp(ACTIONS.cost_latency as string).decide();
    expect(report.map((r) => [r.endpoint, r.withinSlo])).toEqual([
      ['c', true], // cost 0, latency 500/800
      ['a', true],
      ['b', false],
    ]);
  });

  it('weighted: the first target follows the weights over many seeds', () => {
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let seed = 0; seed < 4000; seed += 1) {
      const name = setUp(ACTIONS.weighted as string, { seed }).decide().report[0]?.endpoint ?? '';
      counts[name] = (counts[name] ?? 0) + 1;
    }
    expect((counts.b ?? 0) / 4000).toBeCloseTo(0.5, 1);
    expect((counts.a ?? 0) / 4000).toBeCloseTo(0.25, 1);
    expect((counts.c ?? 0) / 4000).toBeCloseTo(0.25, 1);
  });
});
