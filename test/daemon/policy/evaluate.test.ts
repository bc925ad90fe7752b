import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../shared/errors.js';
import type { CompiledPolicy } from '../../../daemon/policy/compile-policy.js';
import type { RequestFacts } from '../../../daemon/policy/conditions.js';
import { decideRoute, explainRules, matchRule, type RoutingEnvironment } from '../../../daemon/policy/evaluate.js';
import { parsePolicy } from '../../../daemon/policy/load-policy.js';
import { createTargetResolver } from '../../../daemon/policy/target-resolver.js';
import type { LatencyTracker } from '../../../daemon/routing/latency-tracker.js';
import { createRoutingState } from '../../../daemon/routing/routing-state.js';
import { seededRandom } from '../../../daemon/routing/strategies.js';

const policyText = `version: 1
endpoints:
  onprem: { provider: vllm, model: llama, on_prem: true, latency_hint_ms: 900 }
  mini: { provider: openai, model: gpt-4o-mini, price: { input_per_1m: 0.15, output_per_1m: 0.6 }, latency_hint_ms: 300 }
  big: { provider: openai, model: gpt-4o, price: { input_per_1m: 2.5, output_per_1m: 10 }, latency_hint_ms: 200 }
  cheap: { provider: other, model: tiny, price: { input_per_1m: 0.05, output_per_1m: 0.1 }, latency_hint_ms: 1500 }
data_classes:
  pii-restricted: { entities: [EMAIL, JP_NAME], on_prem_only: true }
  confidential: { headers: { x-project: /^secret-/ }, client_declared: false }
rules:
  - { name: pii, when: { data_class: pii-restricted }, route_to: onprem }
  - { name: blocked, when: { tenant: evil-corp }, deny: "tenant suspended" }
  - { name: by-user, when: { user: [alice, bob], role: admin }, route_to: big }
  - { name: by-model, when: { model: [gpt-4o, "gpt-4o-2*"] }, route_to: big, fallback: [mini], allowed_models: ["gpt-4o*"] }
  - { name: fast-lane, when: { latency_budget_ms: "<400" }, strategy: { type: fastest, targets: [onprem, mini, big] } }
  - { name: cost-capped, when: { cost_cap_per_1k: "<=0.001" }, strategy: { type: cheapest, targets: [big, mini, cheap] } }
  - { name: meta, when: { metadata: { team: [search, ads] } }, route_to: mini, max_tokens: 100 }
  - { name: headers, when: { headers: { x-env: /^stag/ } }, route_to: cheap }
  - { name: confidential, when: { data_class: confidential }, route_to: onprem }
  - { name: night, when: { time: { between: "22:00-06:00", tz: Asia/Tokyo } }, route_to: cheap }
  - { name: split, when: { tenant: acme }, weighted: [{ endpoint: mini, weight: 3 }, { endpoint: big, weight: 1 }], fallback: [cheap] }
default: { route_to: $requested }
`;
const policy: CompiledPolicy = parsePolicy(policyText, 'team.yaml');
const config = {
  providers: [{ id: 'vllm', on_prem: true }, { id: 'openai', on_prem: false }, { id: 'other', on_prem: false }],
  models: [{ name: 'gpt-4o-mini', provider: 'openai', model: 'gpt-4o-mini-2024' }],
};

// 12:00 UTC on a Monday = 21:00 in Tokyo
const NOON_UTC = Date.UTC(2026, 10, 23, 12, 0);

function facts(over: Partial<RequestFacts> = {}): RequestFacts {
  return {
    tenant: 't1', user: 'u1', role: null, keyId: 'k1', model: 'gpt-4o-mini', operation: 'chat', stream: false,
    headers: {}, metadata: null, dataClasses: new Set(), latencyBudgetMs: null, costCapPer1k: null, now: NOON_UTC,
    ...over,
  };
}

function env(seed = 1): RoutingEnvironment & { latency: LatencyTracker } {
  const state = createRoutingState({ now: () => NOON_UTC, random: seededRandom(seed) });
  return {
    resolveTarget: createTargetResolver(config),
    latency: state.latency,
    breakers: state.breakers,
    random: state.random,
    promptTokens: () => 1000,
    completionTokens: () => 500,
  };
}

const ruleOf = (f: RequestFacts) => matchRule(policy, f).rule.name;
const route = (f: RequestFacts, e = env()) => decideRoute(policy, f, matchRule(policy, f).rule, e);

describe('matchRule', () => {
  it('matches each condition kind, first match wins', () => {
    expect(ruleOf(facts({ dataClasses: new Set(['pii-restricted']), tenant: 'evil-corp' }))).toBe('pii');
    expect(ruleOf(facts({ tenant: 'evil-corp' }))).toBe('blocked');
    expect(ruleOf(facts({ user: 'bob', role: 'admin' }))).toBe('by-user');
    expect(ruleOf(facts({ user: 'bob', role: 'member' }))).toBe('default');
    expect(ruleOf(facts({ model: 'gpt-4o-2024-08-06' }))).toBe('by-model');
    expect(ruleOf(facts({ latencyBudgetMs: 399 }))).toBe('fast-lane');
    expect(ruleOf(facts({ latencyBudgetMs: 400 }))).toBe('default');
    expect(ruleOf(facts({ costCapPer1k: 0.001 }))).toBe('cost-capped');
    expect(ruleOf(facts({ metadata: { team: 'ads' } }))).toBe('meta');
    expect(ruleOf(facts({ metadata: { team: 'infra' } }))).toBe('default');
    expect(ruleOf(facts({ headers: { 'x-env': 'staging' } }))).toBe('headers');
    expect(ruleOf(facts({ dataClasses: new Set(['confidential']) }))).toBe('confidential');
    expect(ruleOf(facts({ tenant: 'acme' }))).toBe('split');
  });

  it('evaluates time windows in the rule time zone, across midnight', () => {
    const at = (h: number, m = 0) => Date.UTC(2026, 10, 23, h, m); // Tokyo = UTC+9
    expect(ruleOf(facts({ now: at(12, 59) }))).toBe('default'); // 21:59 JST
    expect(ruleOf(facts({ now: at(13, 0) }))).toBe('night'); // 22:00 JST
    expect(ruleOf(facts({ now: at(20, 59) }))).toBe('night'); // 05:59 JST next day
    expect(ruleOf(facts({ now: at(21, 0) }))).toBe('default'); // 06:00 JST
  });

  it('explains every condition of every rule up to the match', () => {
    const explained = explainRules(policy, facts({ user: 'bob', role: 'member', tenant: 'acme' }));
    expect(explained.find((r) => r.rule === 'by-user')?.conditions).toEqual([
      { condition: 'user in [alice, bob]', result: true },
      { condition: 'role in [admin]', result: false },
    ]);
    expect(explained.at(-1)).toEqual({ rule: 'split', matched: true, conditions: [{ condition: 'tenant in [acme]', result: true }] });
  });
});

describe('decideRoute', () => {
  it('routes to one endpoint with its fallbacks, then retries round the list', () => {
    const d = route(facts({ model: 'gpt-4o' }));
    expect(d.candidates.map((c) => c.endpoint)).toEqual(['big', 'mini', 'big']);
    expect(d.candidates[0]).toMatchObject({ provider: 'openai', upstreamModel: 'gpt-4o' });
  });

  it('resolves $requested from the config models, and 404s an unknown model', () => {
    expect(route(facts()).candidates[0]).toMatchObject({ endpoint: 'gpt-4o-mini', provider: 'openai', upstreamModel: 'gpt-4o-mini-2024' });
    expect(() => route(facts({ model: 'nope' }))).toThrow(expect.objectContaining({ code: 'model_not_found' }));
  });

  it('denies with the rule message', () => {
    expect(() => route(facts({ tenant: 'evil-corp' }))).toThrow(new GatewayError('policy_denied', 'tenant suspended (policy rule "blocked")'));
  });

  it('refuses models the rule does not allow', () => {
    const rule = policy.rules.find((r) => r.name === 'by-model');
    expect(() => decideRoute(policy, facts({ model: 'o1' }), rule!, env())).toThrow(expect.objectContaining({ code: 'model_not_allowed', status: 403 }));
  });

  it('splits weighted traffic within tolerance (seeded)', () => {
    const e = env(42);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 10_000; i++) {
      const first = route(facts({ tenant: 'acme' }), e).candidates[0]!.endpoint;
      counts[first] = (counts[first] ?? 0) + 1;
    }
    expect(counts.mini! / 10_000).toBeGreaterThan(0.73);
    expect(counts.mini! / 10_000).toBeLessThan(0.77);
    expect(counts.big! + counts.mini!).toBe(10_000);
    expect(route(facts({ tenant: 'acme' }), env(7)).candidates.map((c) => c.endpoint).slice(2, 3)).toEqual(['cheap']);
  });

  it('ranks by latency for fastest and by cost for cheapest, with scores', () => {
    const fast = route(facts({ latencyBudgetMs: 300 }));
    expect(fast.candidates.map((c) => c.endpoint).slice(0, 3)).toEqual(['big', 'mini', 'onprem']);
    const cheap = route(facts({ costCapPer1k: 0.0005 }));
    expect(cheap.candidates.map((c) => c.endpoint).slice(0, 3)).toEqual(['cheap', 'mini', 'big']);
    expect(cheap.report[0]).toMatchObject({ endpoint: 'cheap', costUsd: (1000 * 0.05 + 500 * 0.1) / 1e6 });
  });

  it('uses live latency over the hint, and puts endpoints with open breakers last', () => {
    const e = env();
    for (let i = 0; i < 10; i++) e.latency.record('onprem', 50);
    expect(route(facts({ latencyBudgetMs: 300 }), e).candidates[0]!.endpoint).toBe('onprem');
    for (let i = 0; i < 5; i++) e.breakers.get('onprem').recordFailure();
    const d = route(facts({ latencyBudgetMs: 300 }), e);
    expect(d.candidates[0]!.endpoint).toBe('big');
    expect(d.report.at(-1)).toMatchObject({ endpoint: 'onprem', breaker: 'open' });
  });

  it('keeps on-prem-only data on on-prem endpoints whatever rule matched', () => {
    const f = facts({ dataClasses: new Set(['pii-restricted']) });
    const d = route(f);
    expect(d.candidates.every((c) => c.onPrem)).toBe(true);
    expect(d.onPremReason).toMatch(/data class "pii-restricted" may only be sent to on-prem endpoints/);
    // Even a rule that would pick cloud targets is filtered down to on-prem ones.
    const split = policy.rules.find((r) => r.name === 'split')!;
    expect(() => decideRoute(policy, f, split, env())).toThrow(expect.objectContaining({ code: 'upstream_unavailable', status: 503 }));
  });

  it('fails closed when the config does not mark the on-prem provider on_prem', () => {
    const e = { ...env(), resolveTarget: createTargetResolver({ ...config, providers: [{ id: 'vllm', on_prem: false }, ...config.providers.slice(1)] }) };
    expect(() => route(facts({ dataClasses: new Set(['pii-restricted']) }), e)).toThrow(/failing closed/);
  });
});
