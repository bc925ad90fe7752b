// `kagami policy check|explain|sign|status` through the real CLI entry (runCli), in process:
// errors name file:line:col and the field, explain shows every condition's result, the
// candidates with scores and the chosen endpoint, and PII found by the real redaction engine
// keeps a request on-prem.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../../daemon/cli/main.js';
import { verifyBundle } from '../../../daemon/policy/bundle/bundle.js';
import { generateSigningKey, parseTrustedKeys } from '../../../daemon/policy/bundle/signing-key.js';
import { openDatabase } from '../../../daemon/store/db.js';
import type { Explanation } from '../../../daemon/simulator/explain-request.js';

const POLICY = `version: 3
endpoints:
  vllm-local:
    provider: onprem
    model: llama-3.1-8b
    on_prem: true
    price: { input_per_1m: 0, output_per_1m: 0 }
    latency_hint_ms: 900
  mini:
    provider: openai
    model: gpt-4o-mini
    price: { input_per_1m: 0.15, output_per_1m: 0.60 }
    latency_hint_ms: 400
  big:
    provider: openai
    model: gpt-4o
    price: { input_per_1m: 2.5, output_per_1m: 10 }
    latency_hint_ms: 600
data_classes:
  pii-restricted:
    entities: [EMAIL, PHONE, JP_MY_NUMBER]
    on_prem_only: true
rules:
  - name: pii-on-prem
    when: { data_class: pii-restricted }
    route_to: vllm-local
  - name: interns-cheap
    when: { tenant: acme, role: intern }
    strategy: { type: cheapest, targets: [big, mini] }
  - name: no-contractors
    when: { role: contractor }
    deny: contractors use the sandbox
  - name: fast-path
    when: { latency_budget_ms: "<500" }
    strategy: { type: fastest, targets: [mini, big], slo_ms: 800 }
default:
  route_to: big
  fallback: [mini]
`;

let dir: string;
let out: string;
let err: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kagami-policy-cli-'));
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
});

afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const kagami = (...argv: string[]): Promise<number> => runCli(argv, '0.0.0-test');

describe('kagami policy check', () => {
  it('accepts a valid policy and summarises it', async () => {
    const path = file('policy.yaml', POLICY);
    expect(await kagami('policy', 'check', path)).toBe(0);
    expect(out).toBe(`${path}: OK (version 3, 3 endpoints, 4 rules + default, 1 data class, 0 limits, 0 budgets)\n`);
  });

  it('names file, line, column and field of every schema problem and exits 1', async () => {
    const path = file(
      'bad.yaml',
      `version: 1
endpoints:
  a: { provider: x, model: m, on_prem: maybe }
data_classes:
  secret: { entities: [EMAIL, SSN] }
default: { route_to: a, retries: 9 }
`,
    );
    expect(await kagami('policy', 'check', path)).toBe(1);
    expect(out).toBe('');
    const lines = err.trim().split('\n');
    expect(lines).toContain(`${path}:3:40: endpoints.a.on_prem: must be boolean`);
    expect(lines.find((l) => l.startsWith(`${path}:5:31: data_classes.secret.entities[1]: must be one of "EMAIL", "PHONE"`))).toBeDefined();
    expect(lines.find((l) => l.startsWith(`${path}:6:34: default.retries:`))).toBeDefined();
    expect(lines.at(-1)).toBe(`${path}: 3 problems`);
  });

  it('reports references to undeclared endpoints and data classes at their place', async () => {
    const path = file(
      'refs.yaml',
      `version: 1
endpoints:
  a: { provider: x, model: m }
rules:
  - name: r1
    when: { data_class: secret }
    route_to: b
default: { route_to: a }
`,
    );
    expect(await kagami('policy', 'check', path)).toBe(1);
    expect(err).toContain(`${path}:6:25: rules[0].when.data_class: unknown data class "secret" (declared under data_classes: none)`);
    expect(err).toContain(`${path}:7:15: rules[0].route_to: unknown endpoint "b" (declared under endpoints: a; or $requested)`);
  });

  it('reports schema and reference problems in the same run (a rule missing its when is still checked)', async () => {
    const path = file(
      'mixed.yaml',
      `version: 1
endpoints:
  a: { provider: x, model: m }
rules:
  - name: r1
    when: { data_class: secret }
    route_to: b
  - name: r2
    strategy: { type: cheapest, targets: [a, c], latency_weight: 1.7 }
    colour: blue
default: { route_to: a }
`,
    );
    expect(await kagami('policy', 'check', path)).toBe(1);
    const lines = err.trim().split('\n');
    expect(lines).toContain(`${path}:6:25: rules[0].when.data_class: unknown data class "secret" (declared under data_classes: none)`);
    expect(lines).toContain(`${path}:7:15: rules[0].route_to: unknown endpoint "b" (declared under endpoints: a; or $requested)`);
    expect(lines.find((l) => l.startsWith(`${path}:9:46: rules[1].strategy.targets[1]: unknown endpoint "c"`))).toBeDefined();
    expect(lines).toContain(`${path}:9:66: rules[1].strategy.latency_weight: must be <= 1`);
    expect(lines).toContain(`${path}:10:5: rules[1].colour: unknown field`);
    expect(lines).toContain(`${path}:8:5: rules[1]: missing required field when`);
    expect(lines.at(-1)).toBe(`${path}: 6 problems`);
  });

  it('says "data classes" in the summary', async () => {
    const path = file('plain.yaml', 'version: 1\nendpoints:\n  a: { provider: x, model: m }\ndefault: { route_to: a }\n');
    expect(await kagami('policy', 'check', path)).toBe(0);
    expect(out).toBe(`${path}: OK (version 1, 1 endpoint, 0 rules + default, 0 data classes, 0 limits, 0 budgets)\n`);
  });

  it('checks several files and fails when any is invalid; --json gives the same verdicts', async () => {
    const good = file('good.yaml', POLICY);
    const bad = file('bad.yaml', 'version: 0\nendpoints: {}\ndefault: { route_to: nowhere }\n');
    expect(await kagami('policy', 'check', good, bad, '--json')).toBe(1);
    const results = JSON.parse(out) as { file: string; ok: boolean; issues: string[] }[];
    expect(results.map((r) => [r.file, r.ok])).toEqual([
      [good, true],
      [bad, false],
    ]);
    expect(results[1]?.issues[0]).toMatch(/bad\.yaml:1:10: version: must be >= 1/);
  });

  it('with --config, warns about endpoints whose provider the config lacks or does not mark on_prem', async () => {
    const policy = file('policy.yaml', POLICY);
    const config = file(
      'kagami.yaml',
      `data_dir: ${join(dir, 'data')}
providers:
  - { id: onprem, type: vllm, base_url: "http://127.0.0.1:9/v1" }
models: []
`,
    );
    expect(await kagami('policy', 'check', policy, '--config', config)).toBe(0);
    expect(err).toContain('endpoint "vllm-local" is on_prem in the policy but provider "onprem" is not on_prem in the config: treated as cloud');
    expect(err).toContain('endpoint "mini": provider "openai" is not in the config');
  });
});

describe('kagami policy explain', () => {
  it('shows every condition tested, the cheapest candidate first with scores, and the chosen endpoint', async () => {
    const policy = file('policy.yaml', POLICY);
    const request = file(
      'req.json',
      JSON.stringify({
        tenant: 'acme',
        user: 'alice',
        role: 'intern',
        body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'Summarise the meeting notes for me' }], max_tokens: 300 },
      }),
    );
    expect(await kagami('policy', 'explain', policy, '--request', request)).toBe(0);
    expect(out).toContain('rules[0] pii-on-prem: no match\n      no   data_class in [pii-restricted]');
    expect(out).toContain('rules[1] interns-cheap: MATCH\n      yes  tenant in [acme]\n      yes  role in [intern]');
    expect(out).not.toContain('no-contractors');
    expect(out).toContain('tokens (o200k): 14 prompt, 300 completion expected');
    // 14 × 0.15/1M + 300 × 0.60/1M = $0.0001821; big: 14 × 2.5/1M + 300 × 10/1M = $0.003035
    expect(out).toMatch(/1\. mini → openai\/gpt-4o-mini breaker=closed score=0\.06\d* cost=\$0\.000182 latency=400 ms/);
    expect(out).toMatch(/2\. big → openai\/gpt-4o breaker=closed score=1\.0\d* cost=\$0\.003035 latency=600 ms/);
    expect(out).toContain('Chosen endpoint: mini');
  });

  it('finds PII with the real redaction engine and keeps the request on the on-prem endpoint', async () => {
    const policy = file('policy.yaml', POLICY.replace('route_to: vllm-local', 'route_to: big\n    fallback: [vllm-local]').replace('on_prem_only: true', 'on_prem_only: true\n'));
    const request = file('req.json', JSON.stringify({ tenant: 'acme', user: 'bob', body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'Write to jane.doe@example.com about the invoice' }] } }));
    // The rule names a cloud endpoint first: check refuses that…
    expect(await kagami('policy', 'check', policy)).toBe(1);
    expect(err).toContain('rules[0]: routes on-prem-only data to "big", which is not an on_prem endpoint');
    // …and explain shows the runtime guard dropping it anyway.
    out = '';
    expect(await kagami('policy', 'explain', policy, '--request', request, '--json')).toBe(1);
    expect(out).toBe('');
    const onPrem = file('policy-ok.yaml', POLICY);
    expect(await kagami('policy', 'explain', onPrem, '--request', request, '--json')).toBe(0);
    const explanation = JSON.parse(out) as Explanation;
    expect(explanation.facts.entityTypes).toEqual(['EMAIL']);
    expect(explanation.facts.dataClasses).toContain('pii-restricted');
    expect(explanation.matched).toEqual({ rule: 'pii-on-prem', index: 0 });
    if (explanation.outcome.kind !== 'routed') throw new Error('expected a route');
    expect(explanation.outcome.chosen).toBe('vllm-local');
    expect(explanation.outcome.onPremReason).toMatch(/data class "pii-restricted" may only be sent to on-prem endpoints/);
    expect(explanation.outcome.candidates.every((c) => c.onPrem)).toBe(true);
  });

  it('classifies Japanese PII with the Japanese analyzer too', async () => {
    const policy = file('policy.yaml', POLICY.replace('entities: [EMAIL, PHONE, JP_MY_NUMBER]', 'entities: [EMAIL, PHONE, JP_MY_NUMBER, JP_NAME, JP_ADDRESS]'));
    const request = file(
      'req.json',
      JSON.stringify({ tenant: 'acme', body: { model: 'gpt-4o', messages: [{ role: 'user', content: '山田太郎さんの住所は東京都千代田区丸の内1-1-1です。確認してください。' }] } }),
    );
    expect(await kagami('policy', 'explain', policy, '--request', request, '--json')).toBe(0);
    const explanation = JSON.parse(out) as Explanation;
    expect(explanation.facts.entityTypes).toEqual(expect.arrayContaining(['JP_NAME', 'JP_ADDRESS']));
    expect(explanation.outcome).toMatchObject({ kind: 'routed', chosen: 'vllm-local' });
  }, 30_000);

  it('explains a refusal: deny message with status and code', async () => {
    const policy = file('policy.yaml', POLICY);
    const request = file('req.json', JSON.stringify({ tenant: 'other', role: 'contractor', body: { model: 'gpt-4o', messages: [] } }));
    expect(await kagami('policy', 'explain', policy, '--request', request)).toBe(0);
    expect(out).toContain('rules[2] no-contractors: MATCH');
    expect(out).toContain('Refused: 403 policy_denied: contractors use the sandbox (policy rule "no-contractors")');
  });

  it('takes a bare OpenAI body, headers for declared budgets, and observed latencies against the SLO', async () => {
    const policy = file('policy.yaml', POLICY);
    const bare = file('bare.json', JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }));
    expect(await kagami('policy', 'explain', policy, '--request', bare)).toBe(0);
    expect(out).toContain('default: MATCH');
    // Not scored (no strategy), but the expected cost and latency are shown: 7 prompt + 256 expected completion tokens.
    expect(out).toContain(`1. big → openai/gpt-4o breaker=closed cost=$${((7 * 2.5 + 256 * 10) / 1e6).toFixed(6)} latency=600 ms`);
    expect(out).toContain('Chosen endpoint: big');

    out = '';
    const fast = file(
      'fast.json',
      JSON.stringify({ headers: { 'X-Kagami-Latency-Budget-Ms': '450' }, latency_ms: { mini: 1200 }, body: { model: 'gpt-4o', messages: [] } }),
    );
    expect(await kagami('policy', 'explain', policy, '--request', fast, '--json')).toBe(0);
    const explanation = JSON.parse(out) as Explanation;
    expect(explanation.matched.rule).toBe('fast-path');
    expect(explanation.facts.latencyBudgetMs).toBe(450);
    expect(explanation.action.strategy).toEqual({ type: 'fastest', latencyWeight: 0.5, sloMs: 800, effectiveSloMs: 450 });
    if (explanation.outcome.kind !== 'routed') throw new Error('expected a route');
    // mini is measured at 1200 ms (over the 450 ms budget): big (600 ms hint) goes first.
    expect(explanation.outcome.candidates.map((c) => [c.endpoint, c.latencyMs, c.withinSlo])).toEqual([
      ['big', 600, false],
      ['mini', 1200, false],
    ]);
  });

  it('with --config resolves $requested from the config models, and treats on_prem as the config says', async () => {
    const policy = file(
      'policy.yaml',
      POLICY.replace('default:\n  route_to: big\n  fallback: [mini]', 'default:\n  route_to: $requested\n  fallback: [mini]'),
    );
    const config = file(
      'kagami.yaml',
      `data_dir: ${join(dir, 'data')}
providers:
  - { id: openai, type: openai, base_url: "http://127.0.0.1:9/v1" }
  - { id: onprem, type: vllm, base_url: "http://127.0.0.1:9/v1" }
models:
  - { name: house-model, provider: openai, model: gpt-4.1, price: { input_per_1m: 2, output_per_1m: 8 } }
`,
    );
    const plain = file('plain.json', JSON.stringify({ body: { model: 'house-model', messages: [] } }));
    expect(await kagami('policy', 'explain', policy, '--request', plain, '--config', config, '--json')).toBe(0);
    let explanation = JSON.parse(out) as Explanation;
    if (explanation.outcome.kind !== 'routed') throw new Error('expected a route');
    expect(explanation.outcome.candidates.map((c) => [c.endpoint, c.provider, c.model])).toEqual([
      ['house-model', 'openai', 'gpt-4.1'],
      ['mini', 'openai', 'gpt-4o-mini'],
    ]);

    // The config does not mark "onprem" on_prem: PII has nowhere to go and is refused.
    out = '';
    const pii = file('pii.json', JSON.stringify({ body: { model: 'house-model', messages: [{ role: 'user', content: 'call me at jane.doe@example.com' }] } }));
    expect(await kagami('policy', 'explain', policy, '--request', pii, '--config', config, '--json')).toBe(0);
    explanation = JSON.parse(out) as Explanation;
    expect(explanation.outcome).toMatchObject({ kind: 'refused', status: 503, code: 'upstream_unavailable' });
  });

  it('evaluates time-of-day rules at the request file\'s `at`, in the rule\'s time zone', async () => {
    const policy = file(
      'night.yaml',
      `version: 1
endpoints:
  day: { provider: p, model: big }
  night: { provider: p, model: batch }
rules:
  - name: tokyo-night
    when: { time: { between: "22:00-06:00", tz: Asia/Tokyo } }
    route_to: night
default: { route_to: day }
`,
    );
    const at = (iso: string) => file('at.json', JSON.stringify({ at: iso, body: { model: 'm', messages: [] } }));
    expect(await kagami('policy', 'explain', policy, '--request', at('2026-11-23T14:30:00Z'))).toBe(0); // 23:30 in Tokyo
    expect(out).toContain('rules[0] tokyo-night: MATCH\n      yes  time 22:00-06:00 Asia/Tokyo');
    expect(out).toContain('Chosen endpoint: night');
    out = '';
    expect(await kagami('policy', 'explain', policy, '--request', at('2026-11-23T03:00:00Z'))).toBe(0); // 12:00 in Tokyo
    expect(out).toContain('rules[0] tokyo-night: no match\n      no   time 22:00-06:00 Asia/Tokyo');
    expect(out).toContain('Chosen endpoint: day');
  });

  it('refuses a request file that is not a request, naming the field', async () => {
    const policy = file('policy.yaml', POLICY);
    const request = file('req.json', JSON.stringify({ tenant: 5, body: { messages: [] } }));
    expect(await kagami('policy', 'explain', policy, '--request', request)).toBe(1);
    expect(err).toMatch(/req\.json: not a request file: .*tenant: must be string/);
    expect(await kagami('policy', 'explain', policy)).toBe(2);
    expect(err).toContain('missing --request');
  });
});

describe('kagami policy sign|status', () => {
  it('dispatches sign to the signed-policy command: the bundle verifies with the key', async () => {
    const policy = file('policy.yaml', POLICY);
    const pair = generateSigningKey();
    const keyFile = file('key.pem', pair.privateKeyPem);
    const bundlePath = join(dir, 'out.bundle.json');
    expect(await kagami('policy', 'sign', policy, '--key-file', keyFile, '--out', bundlePath)).toBe(0);
    const verified = verifyBundle(readFileSync(bundlePath, 'utf8'), parseTrustedKeys([{ public_key: pair.publicKey }]), new Date());
    expect(verified.ok && verified.bundle.policy).toBe(POLICY);
    expect(verified.ok && verified.bundle.policy_version).toBe(3);
  });

  it('dispatches status, and refuses unknown subcommands with the usage', async () => {
    openDatabase(join(dir, 'data')).close(); // status reads what a daemon wrote; it never creates the database
    expect(await kagami('policy', 'status', '--data-dir', join(dir, 'data'), '--config', file('kagami.yaml', 'models: []\n'))).toBe(0);
    expect(out).toMatch(/Policy: none configured/);
    expect(await kagami('policy', 'frobnicate')).toBe(2);
    expect(err).toContain('unknown subcommand "frobnicate"');
    expect(err).toContain('kagami policy explain FILE --request REQ.json');
    expect(err).toContain('kagami policy sign FILE');
  });
});
