// applyPolicy in the running daemon: a policy file loaded by `kagami start`'s code, two real
// local upstreams (on-prem vLLM-type and cloud OpenAI-type), the official openai client. Each
// rule condition routes where the policy says; PII requests never reach the cloud, also when
// the on-prem endpoint is down (they fail closed with a clear error); every decision lands in
// the audit row.
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Compile } from 'typebox/compile';
import type { AuditRow } from '../../../shared/schemas/audit.js';
import { AppliedPolicyResponse, RoutingStateResponse } from '../../../shared/schemas/policy-admin.js';
import type { PolicyAnnotation } from '../../../daemon/pipeline/apply-policy.js';
import { startPolicyDaemon, START_TIME, type PolicyDaemon } from '../../support/policy-daemon.js';

const policy = `version: 1
endpoints:
  local: { provider: onprem, model: llama-local, on_prem: true, price: { input_per_1m: 0.01, output_per_1m: 0.01 }, latency_hint_ms: 900 }
  mini: { provider: cloud, model: gpt-mini, price: { input_per_1m: 0.15, output_per_1m: 0.6 }, latency_hint_ms: 300 }
  big: { provider: cloud, model: gpt-big, price: { input_per_1m: 5, output_per_1m: 15 }, latency_hint_ms: 100 }
data_classes:
  pii-restricted: { entities: [EMAIL, JP_MY_NUMBER], on_prem_only: true }
  confidential: { headers: { x-project: "/^secret-/" }, client_declared: false }
rules:
  - name: pii-on-prem
    when: { data_class: pii-restricted }
    route_to: local
    retries: 0
  - name: confidential
    when: { data_class: confidential }
    route_to: local
    retries: 0
  - name: suspended
    when: { tenant: evil }
    deny: Tenant evil is suspended.
  - name: bob
    when: { user: bob }
    route_to: big
  - name: admins
    when: { role: admin }
    route_to: big
  - name: embeddings
    when: { operation: embedding }
    route_to: $requested
  - name: low-latency
    when: { latency_budget_ms: "<400" }
    strategy: { type: fastest, targets: [local, mini, big] }
  - name: frugal
    when: { cost_cap_per_1k: "<=0.001" }
    strategy: { type: cheapest, targets: [big, mini, local] }
  - name: faq-app
    when: { metadata: { app: faq } }
    route_to: mini
    max_tokens: 16
  - name: beta
    when: { headers: { x-beta: "on" } }
    route_to: big
  - name: night
    when: { time: { between: "22:00-06:00", tz: UTC } }
    route_to: local
  - name: streams
    when: { stream: true }
    route_to: big
  - name: gpt
    when: { model: "gpt-4*" }
    allowed_models: [gpt-4o-mini]
    route_to: mini
default:
  route_to: mini
  fallback: [local]
`;

let gw: PolicyDaemon;
let alice: OpenAI;

beforeAll(async () => {
  gw = await startPolicyDaemon({
    policy,
    keys: {
      alice: { tenant: 'acme', user: 'alice' },
      bob: { tenant: 'acme', user: 'bob' },
      root: { tenant: 'acme', user: 'carol', role: 'admin' },
      evil: { tenant: 'evil', user: 'mallory' },
    },
    onprem: { echo: true },
    cloud: { echo: true },
  });
  alice = gw.client('alice');
});

afterAll(async () => {
  await gw?.close();
});

beforeEach(() => {
  gw.clock.set(START_TIME);
  gw.onprem.setFaults({});
  gw.cloud.setFaults({});
  gw.onprem.resetStats();
  gw.cloud.resetStats();
});

type ChatParams = Partial<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming>;

async function chat(client: OpenAI, params: ChatParams = {}, headers: Record<string, string> = {}) {
  const { data, response } = await client.chat.completions
    .create({ model: 'chat', messages: [{ role: 'user', content: 'What is the capital of France?' }], ...params }, { headers })
    .withResponse();
  return { data, endpoint: response.headers.get('x-kagami-endpoint'), traceId: response.headers.get('x-request-id') };
}

/** The audit row's decision: the policy stage's annotation, completed when the request ended. */
function decisionOf(row: AuditRow): PolicyAnnotation & { outcome: NonNullable<PolicyAnnotation['outcome']> } {
  return row.decision as unknown as PolicyAnnotation & { outcome: NonNullable<PolicyAnnotation['outcome']> };
}

async function lastAudit() {
  const row = (await gw.auditRows()).at(-1);
  if (row === undefined) throw new Error('no audit row');
  return row;
}

describe('applyPolicy in the running daemon', () => {
  it.each([
    ['no condition holds: the default rule', 'alice', {}, {}, 'default', 'mini'],
    ['user', 'bob', {}, {}, 'bob', 'big'],
    ['role', 'root', {}, {}, 'admins', 'big'],
    ['latency budget declared in a header', 'alice', {}, { 'x-kagami-latency-budget-ms': '250' }, 'low-latency', 'big'],
    ['latency budget declared in metadata', 'alice', { metadata: { latency_budget_ms: '300' } }, {}, 'low-latency', 'big'],
    ['cost cap per 1k tokens', 'alice', {}, { 'x-kagami-max-cost-per-1k': '0.0005' }, 'frugal', 'local'],
    ['request metadata', 'alice', { metadata: { app: 'faq' } }, {}, 'faq-app', 'mini'],
    ['request header', 'alice', {}, { 'x-beta': 'on' }, 'beta', 'big'],
    ['requested model (wildcard)', 'alice', { model: 'gpt-4o-mini' }, {}, 'gpt', 'mini'],
    ['data class set by a header pattern', 'alice', {}, { 'x-project': 'secret-apollo' }, 'confidential', 'local'],
  ] as const)('matches on %s', async (_what, key, params, headers, rule, endpoint) => {
    const result = await chat(gw.client(key), params as ChatParams, headers);
    expect(result.endpoint).toBe(endpoint);
    const row = await lastAudit();
    expect(row.rule).toBe(rule);
    expect(row.endpoint).toBe(endpoint);
    expect(row.decision).toMatchObject({ rule, outcome: { endpoint } });
  });

  it('matches on time of day (the daemon clock, wrapping midnight)', async () => {
    gw.clock.set(Date.UTC(2026, 10, 23, 23, 30));
    expect((await chat(alice)).endpoint).toBe('local');
    expect((await lastAudit()).rule).toBe('night');
    gw.clock.set(Date.UTC(2026, 10, 24, 6, 0));
    expect((await chat(alice)).endpoint).toBe('mini');
  });

  it('matches on stream and operation', async () => {
    const stream = await alice.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('hi');
    expect(await lastAudit()).toMatchObject({ rule: 'streams', endpoint: 'big', stream: true });

    const embedding = await alice.embeddings.create({ model: 'embed', input: 'hello' });
    expect(embedding.data).toHaveLength(1);
    expect(await lastAudit()).toMatchObject({ rule: 'embeddings', endpoint: 'embed' });
  });

  it('records conditions, candidates with scores, breaker states and cost in the audit row', async () => {
    await chat(alice, {}, { 'x-kagami-max-cost-per-1k': '0.0005' });
    const row = await lastAudit();
    const decision = decisionOf(row);
    expect(decision.conditions).toEqual(['cost_cap_per_1k <= 0.001']);
    expect(decision.candidates.map((c) => c.endpoint)).toEqual(['local', 'mini', 'big']);
    for (const candidate of decision.candidates) {
      expect(candidate.score).toEqual(expect.any(Number));
      expect(candidate.costUsd).toEqual(expect.any(Number));
      expect(candidate.breaker).toBe('closed');
    }
    expect(decision.candidates[0]?.costUsd).toBeLessThan(decision.candidates[1]?.costUsd ?? 0);
    expect(decision.outcome).toMatchObject({ endpoint: 'local', breakerStates: { local: 'closed' }, fallbacksTried: [] });
    expect(decision.outcome.attempts).toEqual([expect.objectContaining({ endpoint: 'local', ok: true })]);
    // Cost: the answering endpoint's price × the upstream's reported usage.
    expect(row.cost_usd).toBeCloseTo(((row.prompt_tokens ?? 0) * 0.01 + (row.completion_tokens ?? 0) * 0.01) / 1e6, 12);
    expect(decision.outcome.costUsd).toBe(row.cost_usd);
  });

  it('falls back to the next endpoint when the first fails, and records it', async () => {
    gw.cloud.setFaults({ errorRate: 1, errorStatus: 503 });
    const result = await chat(alice);
    expect(result.endpoint).toBe('local');
    const row = await lastAudit();
    expect(row.fallbacks).toEqual(['cloud/gpt-mini']);
    expect(decisionOf(row).outcome.attempts.map((a) => [a.endpoint, a.ok])).toEqual([
      ['mini', false],
      ['local', true],
    ]);
  });

  it('refuses a denied tenant with its message (403) and audits the denial', async () => {
    const error = await chat(gw.client('evil')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((error as InstanceType<typeof OpenAI.PermissionDeniedError>).message).toContain('Tenant evil is suspended. (policy rule "suspended")');
    expect(await lastAudit()).toMatchObject({ status: 403, error_code: 'policy_denied', rule: 'suspended', endpoint: null });
    expect(gw.cloud.stats.requests + gw.onprem.stats.requests).toBe(0);
  });

  it('shows the applied policy on GET /admin/policy (admin token required)', async () => {
    expect((await fetch(`${gw.daemon.url}/admin/policy`)).status).toBe(401);
    const body = await gw.admin('/admin/policy');
    expect(Compile(AppliedPolicyResponse).Check(body)).toBe(true);
    const shown = body as AppliedPolicyResponse & { policy: NonNullable<AppliedPolicyResponse['policy']> };
    expect(shown.policy.version).toBe(1);
    expect(shown.policy.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(shown.policy.rules[0]).toEqual({ name: 'pii-on-prem', conditions: ['data_class in [pii-restricted]'], action: 'route' });
    expect(shown.policy.rules.map((r) => r.name)).toContain('night');
  });

  it("refuses a model the rule does not allow, and caps max_tokens at the rule's limit", async () => {
    const error = await chat(alice, { model: 'gpt-4-turbo' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((error as InstanceType<typeof OpenAI.PermissionDeniedError>).code).toBe('model_not_allowed');

    await chat(alice, { metadata: { app: 'faq' }, max_tokens: 500 });
    await chat(alice, { metadata: { app: 'faq' } });
    const sent = gw.cloud.stats.recent.map((r) => (r.body as { max_tokens?: number }).max_tokens);
    expect(sent).toEqual([16, 16]);
  });
});

describe('PII stays on-prem (data_class pii-restricted from the redaction findings)', () => {
  const email = 'Please reply to jane.doe@example.com about the invoice.';

  it('sends a prompt with an e-mail address only to the on-prem endpoint', async () => {
    const result = await chat(alice, { messages: [{ role: 'user', content: email }] });
    expect(result.endpoint).toBe('local');
    expect(gw.cloud.stats.requests).toBe(0);
    expect(gw.onprem.stats.requests).toBe(1);
    const row = await lastAudit();
    expect(row.rule).toBe('pii-on-prem');
    expect(decisionOf(row).dataClasses).toContain('pii-restricted');
    expect(decisionOf(row).onPremOnly).toMatch(/data class "pii-restricted" may only be sent to on-prem endpoints/);
    expect(Object.keys(row.redactions)).toEqual([expect.stringMatching(/^EMAIL:/)]);
  });

  it('classifies Japanese PII (a My Number) the same way', async () => {
    const result = await chat(alice, { messages: [{ role: 'user', content: '私のマイナンバーは 1234 5678 9018 です。' }] });
    expect(result.endpoint).toBe('local');
    expect(gw.cloud.stats.requests).toBe(0);
    expect((await lastAudit()).rule).toBe('pii-on-prem');
  });

  it('classifies PII whatever rule would match otherwise (the class is on_prem_only)', async () => {
    const result = await chat(gw.client('bob'), { messages: [{ role: 'user', content: email }] });
    expect(result.endpoint).toBe('local');
    expect(gw.cloud.stats.requests).toBe(0);
  });

  it('fails closed with a clear 503 when the on-prem endpoint answers 5xx: nothing reaches the cloud', async () => {
    gw.onprem.setFaults({ errorRate: 1, errorStatus: 502 });
    const error = await chat(alice, { messages: [{ role: 'user', content: email }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    const apiError = error as InstanceType<typeof OpenAI.InternalServerError>;
    expect(apiError.status).toBe(503);
    expect(apiError.message).toMatch(/data class "pii-restricted" may only be sent to on-prem endpoints; on-prem endpoint\(s\) local unavailable .*Not sent to any cloud endpoint\./);
    expect(gw.cloud.stats.requests).toBe(0);
    expect(gw.onprem.stats.requests).toBe(1);
    expect(await lastAudit()).toMatchObject({ status: 503, error_code: 'upstream_unavailable', rule: 'pii-on-prem', endpoint: null });
  });

  it('fails closed for a streamed request too', async () => {
    gw.onprem.setFaults({ errorRate: 1, errorStatus: 500 });
    const error = await alice.chat.completions
      .create({ model: 'chat', messages: [{ role: 'user', content: email }], stream: true })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect((error as { status?: number }).status).toBe(503);
    expect((error as Error).message).toContain('Not sent to any cloud endpoint.');
    expect(gw.cloud.stats.requests).toBe(0);
    expect(await lastAudit()).toMatchObject({ stream: true, status: 503, rule: 'pii-on-prem' });
  });

  it('fails closed when the on-prem endpoint is unreachable, and while its breaker is open', async () => {
    gw.onprem.setFaults({ reset: 'before-headers', resetRate: 1 });
    for (let i = 0; i < 6; i += 1) {
      const error = await chat(alice, { messages: [{ role: 'user', content: email }] }).catch((e: unknown) => e);
      expect((error as { status?: number }).status).toBe(503);
    }
    expect(gw.cloud.stats.requests).toBe(0);
    const routing = await gw.admin('/admin/routing/breakers');
    expect(Compile(RoutingStateResponse).Check(routing)).toBe(true);
    const breakers = routing as RoutingStateResponse;
    expect(breakers.endpoints.find((e) => e.endpoint === 'local')?.breaker.state).toBe('open');
    const decision = decisionOf(await lastAudit());
    expect(decision.outcome.skipped).toEqual([{ endpoint: 'local', reason: 'breaker_open' }]);
    expect(decision.outcome.breakerStates).toEqual({ local: 'open' });

    // Requests without PII still work (cloud), PII ones keep failing closed.
    expect((await chat(alice)).endpoint).toBe('mini');
  });
});

describe("the policy's redaction actions", () => {
  const redactionPolicy = `version: 1
endpoints:
  mini: { provider: cloud, model: gpt-mini }
redaction:
  default_action: mask
  entities:
    CREDIT_CARD: { action: block }
default: { route_to: mini }
`;
  let team: PolicyDaemon;

  beforeAll(async () => {
    team = await startPolicyDaemon({ policy: redactionPolicy, keys: { dev: { tenant: 'acme', user: 'dev' } }, cloud: { echo: true } });
  });

  afterAll(async () => {
    await team?.close();
  });

  it('replace the config actions: the e-mail is masked (config default: pseudonymize) before it leaves', async () => {
    const { data } = await chat(team.client('dev'), { messages: [{ role: 'user', content: 'Write to jane.doe@example.com now.' }] });
    expect(data.choices[0]?.message.content).toBe('Write to [EMAIL] now.');
    expect(JSON.stringify(team.cloud.stats.recent)).not.toContain('jane.doe');
  });

  it('block: a card number refuses the request and nothing is sent', async () => {
    const before = team.cloud.stats.requests;
    const error = await chat(team.client('dev'), { messages: [{ role: 'user', content: 'Charge 4111 1111 1111 1111 please.' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('pii_blocked');
    expect(team.cloud.stats.requests).toBe(before);
  });
});
