// `kagami simulate` on a real audit trail: a real daemon (startDaemon, SQLite, the audit
// writer) in front of two loopback upstreams answers requests from the official openai client
// for two tenants; then the candidate policy is replayed from that database and its report is
// checked against figures computed independently from the audit rows. A JSON Lines traffic
// file covers the documented format, its errors, weighted draws and latency estimates.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../../daemon/cli/main.js';
import { startDaemon, type RunningDaemon } from '../../../daemon/cli/start.js';
import { startMockUpstream, type MockUpstream } from '../../../daemon/mock-upstream/server.js';
import type { SimulationReport } from '../../../daemon/simulator/simulate-policy.js';
import { readAuditTraffic } from '../../../daemon/simulator/traffic-source.js';
import { openDatabase } from '../../../daemon/store/db.js';
import { KeyStore } from '../../../daemon/store/keys-store.js';
import { forgetCheckpointKey } from '../audit/trail-db.js';

const BIG = { input_per_1m: 2.5, output_per_1m: 10 };
const MINI = { input_per_1m: 0.15, output_per_1m: 0.6 };

let dir: string;
let cloud: MockUpstream;
let onprem: MockUpstream;
let daemon: RunningDaemon | null = null;
let out: string;
let err: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kagami-simulate-'));
  cloud = await startMockUpstream({ models: ['gpt-4o', 'gpt-4o-mini'] });
  onprem = await startMockUpstream({ models: ['llama-3.1-8b'] });
});

afterEach(async () => {
  vi.restoreAllMocks();
  await daemon?.close();
  daemon = null;
  await cloud.close();
  await onprem.close();
  forgetCheckpointKey(join(dir, 'data'));
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function kagami(...argv: string[]): Promise<number> {
  out = '';
  err = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  try {
    return await runCli(argv, '0.0.0-test');
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

const CANDIDATE = `version: 2
endpoints:
  big: { provider: cloud, model: gpt-4o, price: { input_per_1m: 2.5, output_per_1m: 10 } }
  mini: { provider: cloud, model: gpt-4o-mini, price: { input_per_1m: 0.15, output_per_1m: 0.6 } }
  local: { provider: onprem, model: llama-3.1-8b, on_prem: true, price: { input_per_1m: 0, output_per_1m: 0 }, latency_hint_ms: 50 }
data_classes:
  pii-restricted: { entities: [EMAIL], on_prem_only: true }
rules:
  - name: pii-on-prem
    when: { data_class: pii-restricted }
    route_to: local
  - name: acme-cheap
    when: { tenant: acme, role: intern }
    route_to: mini
    fallback: [big]
default:
  route_to: $requested
`;

describe('kagami simulate --from (a real daemon\'s audit trail)', () => {
  it('replays per tenant and endpoint: requests, cost from recorded tokens × candidate prices, latency, Δ%', async () => {
    const dataDir = join(dir, 'data');
    const config = file(
      'kagami.yaml',
      `data_dir: ${dataDir}
providers:
  - { id: cloud, type: openai, base_url: "${cloud.url}" }
  - { id: onprem, type: vllm, base_url: "${onprem.url}", on_prem: true }
models:
  - { name: big, provider: cloud, model: gpt-4o, price: { input_per_1m: ${BIG.input_per_1m}, output_per_1m: ${BIG.output_per_1m} } }
  - { name: mini, provider: cloud, model: gpt-4o-mini, price: { input_per_1m: ${MINI.input_per_1m}, output_per_1m: ${MINI.output_per_1m} } }
`,
    );
    // Keys for two tenants, made before the daemon starts (it loads them at start).
    const db = openDatabase(dataDir);
    const store = new KeyStore(db);
    const acmeKey = store.create({ tenant: 'acme', user: 'ana', role: 'intern' }).key; // roles come from the key store
    const globexKey = store.create({ tenant: 'globex', user: 'gus' }).key;
    store.close();
    db.close();

    daemon = await startDaemon({ configFile: config, overrides: { port: 0 }, createFirstKey: false });
    const acme = new OpenAI({ baseURL: `${daemon.url}/v1`, apiKey: acmeKey, maxRetries: 0 });
    const globex = new OpenAI({ baseURL: `${daemon.url}/v1`, apiKey: globexKey, maxRetries: 0 });
    for (let i = 0; i < 6; i += 1) {
      await acme.chat.completions.create({ model: 'big', messages: [{ role: 'user', content: `Draft a status update number ${i} ${'with more words '.repeat(i)}` }] });
    }
    await acme.chat.completions.create({ model: 'big', messages: [{ role: 'user', content: 'Forward this to jane.doe@example.com please' }] });
    for (let i = 0; i < 3; i += 1) {
      await globex.chat.completions.create({ model: 'mini', messages: [{ role: 'user', content: `Translate sentence ${i}` }] });
    }
    await daemon.close();
    daemon = null;

    // What really happened, read independently of the simulator's aggregation.
    const rows = readAuditTraffic(dataDir);
    expect(rows).toHaveLength(10);
    const acmeRows = rows.filter((r) => r.tenant === 'acme');
    const cost = (r: (typeof rows)[number], p: typeof BIG): number => (r.prompt_tokens * p.input_per_1m + (r.completion_tokens ?? 0) * p.output_per_1m) / 1e6;
    const acmeActual = acmeRows.reduce((s, r) => s + (r.cost_usd ?? 0), 0);
    expect(acmeActual).toBeCloseTo(acmeRows.reduce((s, r) => s + cost(r, BIG), 0), 12);
    const piiRow = acmeRows.find((r) => r.entities?.includes('EMAIL'));
    expect(piiRow).toBeDefined();
    const acmeMini = acmeRows.filter((r) => r !== piiRow).reduce((s, r) => s + cost(r, MINI), 0);

    const policy = file('candidate.yaml', CANDIDATE);
    expect(await kagami('simulate', '--policy', policy, '--from', dataDir, '--config', config, '--json')).toBe(0);
    const report = JSON.parse(out) as SimulationReport;
    expect(report.requests).toBe(10);
    expect(report.rules).toEqual({ 'pii-on-prem': 1, 'acme-cheap': 6, default: 3 });
    const row = (tenant: string, endpoint: string) => report.rows.find((r) => r.tenant === tenant && r.endpoint === endpoint);

    expect(row('acme', 'big')?.actual.requests).toBe(7);
    expect(row('acme', 'big')?.simulated.requests).toBe(0);
    expect(row('acme', 'big')?.costDiffPct).toBe(-100);
    expect(row('acme', 'mini')?.simulated.requests).toBe(6);
    expect(row('acme', 'mini')?.simulated.costUsd).toBeCloseTo(acmeMini, 12);
    expect(row('acme', 'local')?.simulated).toMatchObject({ requests: 1, costUsd: 0, meanLatencyMs: 50 });
    const acmeTotal = row('acme', '(total)');
    expect(acmeTotal?.actual.costUsd).toBeCloseTo(acmeActual, 12);
    expect(acmeTotal?.simulated.costUsd).toBeCloseTo(acmeMini, 12);
    expect(acmeTotal?.costDiffPct).toBeCloseTo(((acmeMini - acmeActual) / acmeActual) * 100, 6);
    // globex keeps its model ($requested): same requests, same cost, same latencies.
    expect(row('globex', 'mini')).toMatchObject({ costDiffPct: 0, latencyDiffPct: 0 });
    expect(row('globex', 'mini')?.simulated.requests).toBe(3);
    // mini had no recorded latency before the candidate (only globex used it): acme's moved
    // requests are estimated at globex's recorded median.
    const globexLatencies = rows.filter((r) => r.tenant === 'globex').map((r) => r.latency_ms ?? 0).sort((a, b) => a - b);
    expect(row('acme', 'mini')?.simulated.meanLatencyMs).toBeCloseTo(globexLatencies[1] ?? NaN, 9);

    // The human-readable table says the same.
    expect(await kagami('simulate', '--policy', policy, '--from', join(dataDir, 'kagami.db'), '--config', config)).toBe(0);
    expect(out).toContain(`Replayed 10 requests from ${join(dataDir, 'kagami.db')}`);
    expect(out).toMatch(/acme\s+big\s+7 → 0\s+\$0\.\d+ → \$0\.000000 \(-100\.0%\)/);
    expect(out).toMatch(/acme\s+local\s+0 → 1\s+\$0\.000000 → \$0\.000000\s+- → 50 ms/);
    expect(out).toContain('Rules matched: acme-cheap 6, pii-on-prem 1, default 3');
    expect(err).toBe('');
    const withHeaders = file('headers.yaml', CANDIDATE.replace('rules:\n', 'rules:\n  - name: by-project\n    when: { headers: { x-project: billing } }\n    route_to: big\n'));
    expect(await kagami('simulate', '--policy', withHeaders, '--from', dataDir)).toBe(0);
    expect(err).toContain('Note: rule(s) by-project test headers, metadata or declared budgets, which the audit trail does not record');

    // $requested needs the config's model aliases.
    expect(await kagami('simulate', '--policy', policy, '--from', dataDir, '--json')).toBe(0);
    expect((JSON.parse(out) as SimulationReport).refused).toEqual({ model_not_found: 3 });
    expect(err).toContain('pass --config');

    // --since limits the replay to recent traffic.
    expect(await kagami('simulate', '--policy', policy, '--from', dataDir, '--since', '2h', '--json')).toBe(0);
    expect((JSON.parse(out) as SimulationReport).requests).toBe(10);
    expect(await kagami('simulate', '--policy', policy, '--from', dataDir, '--since', '2999-01-01T00:00:00Z', '--json')).toBe(0);
    expect((JSON.parse(out) as SimulationReport).requests).toBe(0);
  });
});

describe('kagami simulate --traffic (JSON Lines)', () => {
  const POLICY = `version: 1
endpoints:
  a: { provider: p, model: m-a, price: { input_per_1m: 1, output_per_1m: 2 } }
  b: { provider: p, model: m-b, price: { input_per_1m: 3, output_per_1m: 4 } }
rules:
  - name: blocked
    when: { tenant: evil }
    deny: not you
default:
  weighted: [{ endpoint: a, weight: 3 }, { endpoint: b, weight: 1 }]
`;

  it('splits weighted traffic by the seed, estimates latency from the recording, and counts refusals', async () => {
    const lines = ['# recorded by hand'];
    for (let i = 0; i < 400; i += 1) {
      lines.push(JSON.stringify({ ts: 1_763_000_000_000 + i, tenant: 't', model: 'x', prompt_tokens: 1000, completion_tokens: 500, endpoint: 'b', cost_usd: 0.005, latency_ms: i % 2 === 0 ? 100 : 300 }));
    }
    lines.push(JSON.stringify({ tenant: 't', model: 'x', prompt_tokens: 10, endpoint: 'a', latency_ms: 40 }));
    lines.push(JSON.stringify({ ts: '2026-11-23T10:00:00Z', tenant: 'evil', model: 'x', prompt_tokens: 10, endpoint: 'a', cost_usd: 0.00001, latency_ms: 40 }));
    const traffic = file('traffic.jsonl', `${lines.join('\n')}\n`);
    const policy = file('policy.yaml', POLICY);
    expect(await kagami('simulate', '--policy', policy, '--traffic', traffic, '--seed', '7', '--json')).toBe(0);
    const report = JSON.parse(out) as SimulationReport;
    const row = (endpoint: string) => report.rows.find((r) => r.tenant === 't' && r.endpoint === endpoint);
    const toA = row('a')?.simulated.requests ?? 0;
    const toB = row('b')?.simulated.requests ?? 0;
    expect(toA + toB).toBe(401);
    // 3:1 weights over 401 draws: a within ±5 points of 75%.
    expect(toA / 401).toBeGreaterThan(0.7);
    expect(toA / 401).toBeLessThan(0.8);
    // Requests kept on b keep their own latency; those moved to a get a's recorded median (40 ms).
    expect(row('a')?.simulated.meanLatencyMs).toBe(40);
    expect(report.refused).toEqual({ policy_denied: 1 });
    expect(report.rows.find((r) => r.tenant === 'evil' && r.endpoint === '(refused)')?.simulated.requests).toBe(1);
    // Same seed, same report.
    const first = out;
    expect(await kagami('simulate', '--policy', policy, '--traffic', traffic, '--seed', '7', '--json')).toBe(0);
    expect(out).toBe(first);
  });

  it('estimates moved requests from a latency-vs-answer-length line fitted to the target endpoint', async () => {
    const lines: string[] = [];
    // fast: 100 ms + 2 ms per completion token, recorded for 20 requests of varied lengths.
    for (let i = 0; i < 20; i += 1) {
      const tokens = 50 + i * 25;
      lines.push(JSON.stringify({ tenant: 't', model: 'x', prompt_tokens: 10, completion_tokens: tokens, endpoint: 'fast', latency_ms: 100 + 2 * tokens }));
    }
    // Requests that went elsewhere, moved to fast by the candidate.
    const moved = [40, 400, 1000];
    for (const tokens of moved) lines.push(JSON.stringify({ tenant: 'u', model: 'x', prompt_tokens: 10, completion_tokens: tokens, endpoint: 'slow', latency_ms: 9000 }));
    const traffic = file('fit.jsonl', lines.join('\n'));
    const policy = file('fit.yaml', 'version: 1\nendpoints:\n  fast: { provider: p, model: f }\n  slow: { provider: p, model: s }\ndefault: { route_to: fast }\n');
    expect(await kagami('simulate', '--policy', policy, '--traffic', traffic, '--json')).toBe(0);
    const report = JSON.parse(out) as SimulationReport;
    const expected = moved.reduce((sum, tokens) => sum + 100 + 2 * tokens, 0) / moved.length;
    expect(report.rows.find((r) => r.tenant === 'u' && r.endpoint === 'fast')?.simulated.meanLatencyMs).toBeCloseTo(expected, 6);
    expect(report.rows.find((r) => r.tenant === 'u' && r.endpoint === '(total)')?.latencyDiffPct).toBeCloseTo(((expected - 9000) / 9000) * 100, 6);
  });

  it('names every bad line with file:line and the field', async () => {
    const traffic = file('bad.jsonl', `${JSON.stringify({ tenant: 't', model: 'x', prompt_tokens: 1 })}\n{nope\n${JSON.stringify({ tenant: 't', prompt_tokens: -1 })}\n`);
    const policy = file('policy.yaml', POLICY);
    expect(await kagami('simulate', '--policy', policy, '--traffic', traffic)).toBe(1);
    expect(err).toContain(`${traffic}:2: not JSON`);
    expect(err).toMatch(new RegExp(`${traffic.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: .*model`));
    expect(await kagami('simulate', '--policy', policy)).toBe(2);
    expect(err).toContain('give exactly one of --from or --traffic');
    expect(await kagami('simulate', '--policy', policy, '--traffic', traffic, '--since', '1d')).toBe(2);
    expect(err).toContain('--since applies to --from');
  });
});
