// Policy evaluation cost (issue 5: ≤ 20 µs per request with 100 rules). A policy of 100
// rules mixing every condition kind (tenant/user/role lists, model wildcards, data classes,
// declared latency budgets, header and metadata regexes, time windows in a time zone) is
// compiled once; then per request, as the applyPolicy stage does it:
//   facts    buildRequestFacts (principal, headers, metadata, data classes)
//   match    matchRule: first match wins, so a request that falls through to `default`
//            tests every rule (the worst case) and one matching rule 50 the typical case
//   decide   decideRoute: candidates, fallbacks, on-prem guard, breaker order
// and, separately, a cost_latency ranking, which adds the real tokenizer's prompt count.
// Then the gateway's added latency with routing on: the real app (SQLite keys and audit;
// redaction off, as in the gateway bench's main rows) in front of the mock upstream, without a
// policy and with this policy, against the upstream called directly; sequential requests,
// interleaved rounds, p50/p99.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { buildApp } from '../daemon/app.js';
import { createAuditWriter } from '../daemon/audit/audit-writer.js';
import { parseConfig } from '../daemon/config/load-config.js';
import { createRequestEvents } from '../daemon/events/channels.js';
import { startMockUpstream } from '../daemon/mock-upstream/server.js';
import { createPolicyRuntime } from '../daemon/policy/policy-runtime.js';
import { adapterIds, findAdapter } from '../daemon/providers/index.js';
import { percentile } from '../daemon/routing/latency-tracker.js';
import { openDatabase } from '../daemon/store/db.js';
import { KeyStore } from '../daemon/store/keys-store.js';
import { createUpstreams } from '../daemon/upstream/upstreams.js';
import { createTargetResolver } from '../daemon/policy/target-resolver.js';
import { decideRoute, matchRule, type RoutingEnvironment } from '../daemon/policy/evaluate.js';
import { parsePolicy } from '../daemon/policy/load-policy.js';
import { buildRequestFacts } from '../daemon/policy/request-facts.js';
import { createRoutingState } from '../daemon/routing/routing-state.js';
import { seededRandom } from '../daemon/routing/strategies.js';
import { estimatePromptTokens, expectedCompletionTokens } from '../daemon/routing/token-estimate.js';
import { createReplayContext } from '../daemon/simulator/replay-context.js';
import { POLICY, policyOnOneProvider, RULES } from './hundred-rule-policy.js';

const TARGET_US = 20;

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
  await measureGatewayOverhead();
}

const GATEWAY_POLICY = policyOnOneProvider('sim');

async function measureGatewayOverhead(): Promise<void> {
  const upstream = await startMockUpstream({ keepRecent: 0 });
  const dataDir = mkdtempSync(join(tmpdir(), 'kagami-bench-policy-'));
  const config = parseConfig(
    `data_dir: ${dataDir}\nredaction: { enabled: false }\nproviders:\n  - { id: sim, type: openai, base_url: "${upstream.url}" }\nmodels:\n  - { name: bench-chat, provider: sim, model: kagami-sim-chat }\n`,
    'bench.yaml',
    { env: {}, providerTypes: adapterIds() },
  );
  const db = openDatabase(dataDir);
  const keyStore = new KeyStore(db, { refreshMs: 0 });
  const auditWriter = createAuditWriter(db);
  const upstreams = createUpstreams(config.providers, findAdapter);
  const runtime = createPolicyRuntime({ config, db: null, policy: parsePolicy(GATEWAY_POLICY, 'bench-policy.yaml'), upstreams });
  const base = { config, keyStore, auditWriter, events: createRequestEvents(), adminToken: 'bench-admin-token-0123456789abcdef', version: 'bench', upstreams };
  const plain = buildApp(base);
  const policyDeps = { policyRuntime: runtime, attemptPolicy: runtime.attemptPolicy };
  const routed = buildApp({ ...base, ...policyDeps });
  await plain.listen({ host: '127.0.0.1', port: 0 });
  await routed.listen({ host: '127.0.0.1', port: 0 });
  const { key } = keyStore.create({ tenant: 'acme', user: 'bench' });
  const body = JSON.stringify({ model: 'bench-chat', messages: [{ role: 'user', content: 'x'.repeat(1000) }] });
  const upstreamBody = body.replace('bench-chat', 'kagami-sim-chat');
  const origin = (app: typeof plain): string => `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const targets = [
    { name: 'upstream directly', pool: new Pool(upstream.url.replace(/\/v1$/, '')), path: '/v1/chat/completions', body: upstreamBody, latencies: [] as number[] },
    { name: 'gateway, no policy', pool: new Pool(origin(plain)), path: '/v1/chat/completions', body, latencies: [] as number[] },
    { name: 'gateway, 100-rule policy', pool: new Pool(origin(routed)), path: '/v1/chat/completions', body, latencies: [] as number[] },
  ];
  const send = async (t: (typeof targets)[number]): Promise<number> => {
    const start = performance.now();
    const res = await t.pool.request({ method: 'POST', path: t.path, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: t.body });
    await res.body.dump();
    if (res.statusCode !== 200) throw new Error(`${t.name}: HTTP ${res.statusCode}`);
    return performance.now() - start;
  };
  try {
    for (const t of targets) for (let i = 0; i < 200; i += 1) await send(t); // warm-up
    for (let round = 0; round < 5; round += 1) {
      for (const t of targets) for (let i = 0; i < 400; i += 1) t.latencies.push(await send(t));
    }
    const stats = targets.map((t) => {
      const sorted = t.latencies.sort((x, y) => x - y);
      return { name: t.name, p50: percentile(sorted, 0.5) ?? 0, p99: percentile(sorted, 0.99) ?? 0 };
    });
    const direct = stats[0] ?? { p50: 0, p99: 0 };
    console.log(`gateway added latency, sequential 1 KB chats, ${targets[0]?.latencies.length ?? 0} per path (in one process: client, gateway and upstream share a core):`);
    for (const s of stats) {
      const added = s === direct ? '' : `  added p50 ${(s.p50 - direct.p50).toFixed(2)} ms, p99 ${(s.p99 - direct.p99).toFixed(2)} ms`;
      console.log(`  ${s.name.padEnd(26)} p50 ${s.p50.toFixed(2).padStart(6)} ms  p99 ${s.p99.toFixed(2).padStart(6)} ms${added}`);
    }
  } finally {
    await Promise.all(targets.map((t) => t.pool.close()));
    await plain.close();
    await routed.close();
    runtime.close();
    await upstreams.close();
    await auditWriter.close();
    keyStore.close();
    db.close();
    await upstream.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
