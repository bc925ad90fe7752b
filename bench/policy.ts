// Policy evaluation cost (issue 5: ≤ 20 µs per request with 100 rules). A policy of 100
// rules mixing every condition kind (tenant/user/role lists, model wildcards, data classes,
// declared latency budgets, header and metadata regexes, time windows in a time zone) is
// compiled once; then per request, as the applyPolicy stage does it:
//   facts    buildRequestFacts (principal, headers, metadata, data classes)
//   match    matchRule: first match wins, so a request that falls through to `default`
//            tests every rule (the worst case) and one matching rule 50 the typical case
//   decide   decideRoute: candidates, fallbacks, on-prem guard, breaker order
// and, separately, a cost_latency ranking, which adds the real tokenizer's prompt count.
import { createTargetResolver } from '../daemon/policy/target-resolver.js';
import { decideRoute, matchRule, type RoutingEnvironment } from '../daemon/policy/evaluate.js';
import { parsePolicy } from '../daemon/policy/load-policy.js';
import { buildRequestFacts } from '../daemon/policy/request-facts.js';
import { createRoutingState } from '../daemon/routing/routing-state.js';
import { seededRandom } from '../daemon/routing/strategies.js';
import { estimatePromptTokens, expectedCompletionTokens } from '../daemon/routing/token-estimate.js';
import { createReplayContext } from '../daemon/simulator/replay-context.js';

const RULES = 100;
const TARGET_US = 20;

function rule(i: number): string {
  const kinds = [
    `{ tenant: [team-${i}, team-${i}-eu], role: admin }`,
    `{ model: "gpt-${i}*", user: [u${i}, v${i}] }`,
    `{ data_class: restricted, tenant: team-${i} }`,
    `{ latency_budget_ms: "<${100 + i}", model: fast-${i} }`,
    `{ headers: { x-project: "/^proj-${i}-[a-z]+$/" } }`,
    `{ metadata: { feature: ["f${i}", "/^exp-${i}-/"] } }`,
    `{ time: { between: "22:00-06:00", days: [sat, sun], tz: Asia/Tokyo }, tenant: night-${i} }`,
  ];
  // Restricted data may only go on-prem (the policy check refuses anything else).
  const action = i % kinds.length === 2 ? 'route_to: local' : `route_to: ${i % 2 === 0 ? 'cloud-a' : 'cloud-b'}\n    fallback: [cloud-b, cloud-a]`;
  return `  - name: rule-${i}\n    when: ${kinds[i % kinds.length]}\n    ${action}`;
}

const rules = Array.from({ length: RULES }, (_, i) => rule(i));
// The typical request matches rule 50 (half the rules tested); see `typical` below.
rules[50] = '  - name: rule-50\n    when: { tenant: acme, model: "gpt-4o*" }\n    route_to: cloud-a\n    fallback: [cloud-b]';
const POLICY = `version: 1
endpoints:
  cloud-a: { provider: a, model: gpt-4o-mini, price: { input_per_1m: 0.15, output_per_1m: 0.6 }, latency_hint_ms: 400 }
  cloud-b: { provider: b, model: gpt-4o, price: { input_per_1m: 2.5, output_per_1m: 10 }, latency_hint_ms: 600 }
  local: { provider: onprem, model: llama, on_prem: true }
data_classes:
  restricted: { headers: { x-classification: restricted }, on_prem_only: true }
rules:
${rules.join('\n')}
default:
  strategy: { type: cost_latency, targets: [cloud-a, cloud-b], latency_weight: 0.5, slo_ms: 800 }
  fallback: [local]
`;

const policy = parsePolicy(POLICY, 'bench-policy.yaml');
const routing = createRoutingState({ random: seededRandom(1) });
const resolveTarget = createTargetResolver({ providers: [{ id: 'a' }, { id: 'b' }, { id: 'onprem' }], models: [] });
const messages = [
  { role: 'system', content: 'You are a helpful assistant for the finance team. Answer briefly.' },
  { role: 'user', content: 'Summarise the attached quarterly figures and list the three largest cost increases with their causes.' },
];

function context(tenant: string, model: string) {
  return createReplayContext({
    tenant,
    user: 'alice',
    role: 'developer',
    keyId: 'key_1',
    headers: { 'content-type': 'application/json', 'x-project': 'internal-tools', 'user-agent': 'openai-node/6' },
    body: { model, messages, max_tokens: 300, metadata: { feature: 'summaries' } },
    at: Date.now(),
  });
}

function environment(body: Record<string, unknown>): RoutingEnvironment {
  return {
    resolveTarget,
    latency: routing.latency,
    breakers: routing.breakers,
    random: routing.random,
    promptTokens: () => estimatePromptTokens(body),
    completionTokens: () => expectedCompletionTokens(body),
  };
}

const NO_ENTITIES: ReadonlySet<string> = new Set();

/** Best-of-`rounds` µs per call of `work` over `n` calls. */
function measure(n: number, rounds: number, work: () => unknown): number {
  let best = Infinity;
  for (let round = 0; round < rounds; round += 1) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i += 1) work();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e3 / n);
  }
  return best;
}

export async function run(): Promise<void> {
  const worstCtx = context('nobody', 'other-model'); // matches no rule: all 100 tested, then default
  const typicalCtx = context('acme', 'gpt-4o-mini'); // matches rule 50
  const worstFacts = buildRequestFacts(worstCtx, policy, NO_ENTITIES).facts;
  const typicalFacts = buildRequestFacts(typicalCtx, policy, NO_ENTITIES).facts;
  if (matchRule(policy, worstFacts).rule.name !== 'default' || matchRule(policy, typicalFacts).rule.name !== 'rule-50') {
    throw new Error('bench policy does not match as intended');
  }
  const typicalRule = matchRule(policy, typicalFacts).rule;
  const typicalEnv = environment(typicalCtx.request.body);

  const n = 20_000;
  measure(n, 3, () => matchRule(policy, worstFacts)); // warm-up
  const matchWorst = measure(n, 5, () => matchRule(policy, worstFacts));
  const matchTypical = measure(n, 5, () => matchRule(policy, typicalFacts));
  const facts = measure(n, 5, () => buildRequestFacts(typicalCtx, policy, NO_ENTITIES));
  // What applyPolicy pays for a route_to rule: facts + first match + candidates.
  const perRequestTypical = measure(n, 5, () => {
    const f = buildRequestFacts(typicalCtx, policy, NO_ENTITIES).facts;
    return decideRoute(policy, f, matchRule(policy, f).rule, typicalEnv);
  });
  const perRequestWorstRoute = measure(n, 5, () => {
    const f = buildRequestFacts(worstCtx, policy, NO_ENTITIES).facts;
    matchRule(policy, f);
    return decideRoute(policy, f, typicalRule, typicalEnv);
  });
  // The default's cost_latency ranking tokenizes the prompt (o200k) once per request.
  const perRequestStrategy = measure(2_000, 5, () => {
    const f = buildRequestFacts(worstCtx, policy, NO_ENTITIES).facts;
    return decideRoute(policy, f, matchRule(policy, f).rule, environment(worstCtx.request.body));
  });

  const fmt = (us: number): string => `${us.toFixed(2).padStart(6)} µs`;
  const verdict = (us: number): string => (us <= TARGET_US ? `ok (target ≤ ${TARGET_US} µs)` : `OVER the ${TARGET_US} µs target`);
  console.log(`policy: ${RULES} rules (every condition kind), node ${process.version}, best of 5 × ${n} calls`);
  console.log(`  matchRule, no rule matches (100 tested):      ${fmt(matchWorst)}`);
  console.log(`  matchRule, rule 50 matches:                   ${fmt(matchTypical)}`);
  console.log(`  buildRequestFacts:                            ${fmt(facts)}`);
  console.log(`  per request, rule 50 route_to + fallback:     ${fmt(perRequestTypical)}  ${verdict(perRequestTypical)}`);
  console.log(`  per request, 100 rules tested + route_to:     ${fmt(perRequestWorstRoute)}  ${verdict(perRequestWorstRoute)}`);
  console.log(`  per request, 100 rules + cost_latency (incl. o200k token count of the prompt): ${fmt(perRequestStrategy)}`);
}
