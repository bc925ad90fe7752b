// The 100-rule policy the benchmarks evaluate (issue 5: rule evaluation <= 20 µs per request,
// and the gateway's added latency with routing on): every condition kind (tenant/user/role
// lists, model wildcards, data classes, declared latency budgets, header and metadata regexes,
// time windows in a time zone). A request of another tenant and model falls through to
// `default`, testing all 100 rules: the worst case.

export const RULES = 100;

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
// bench/policy.ts's typical request matches rule 50 (half the rules tested).
rules[50] = '  - name: rule-50\n    when: { tenant: acme, model: "gpt-4o*" }\n    route_to: cloud-a\n    fallback: [cloud-b]';
export const POLICY = `version: 1
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

/** The same policy with every endpoint on one provider; the default sends to the alias asked for. */
export function policyOnOneProvider(provider: string): string {
  return POLICY.replace(/provider: (a|b|onprem)\b/g, `provider: ${provider}`).replace(/default:[\s\S]*$/, 'default:\n  route_to: $requested\n  fallback: [cloud-a]\n');
}
