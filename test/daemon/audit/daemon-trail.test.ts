// The audit area inside the running daemon (`startDaemon`, the same code as `kagami start`):
// requests answered through the official openai SDK reach the SIEM sink from the config
// (a local webhook receiver), in trail order, with the administrative events (a key created by
// another process, signed checkpoints); GET /admin/siem/status reports the sink; GET /metrics
// serves the Prometheus counters of those same requests, behind the admin token.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SiemStatus } from '../../../shared/schemas/siem.js';
import { runCli } from '../../../daemon/cli/main.js';
import { startDaemon, type RunningDaemon } from '../../../daemon/cli/start.js';
import { startMockUpstream, type MockUpstream } from '../../../daemon/mock-upstream/server.js';
import { openDatabase } from '../../../daemon/store/db.js';
import { KeyStore } from '../../../daemon/store/keys-store.js';
import { HttpReceiver } from '../siem/http-receiver.js';
import { forgetCheckpointKey } from './trail-db.js';

interface ShippedLine {
  readonly event_id: string;
  readonly seq: number;
  readonly kind: string;
  readonly event_type: string;
  readonly trace_id?: string;
}

const REQUESTS = 30;

describe('the audit trail in the running daemon', () => {
  let dir: string;
  let upstream: MockUpstream;
  let receiver: HttpReceiver;
  let daemon: RunningDaemon;
  let client: OpenAI;
  let configFile: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kagami-daemon-trail-'));
    upstream = await startMockUpstream({ keepRecent: 0 });
    receiver = await HttpReceiver.start();
    receiver.handler = () => ({ status: 200 });
    configFile = join(dir, 'kagami.yaml');
    writeFileSync(
      configFile,
      [
        'providers:',
        `  - { id: sim, type: openai, base_url: "${upstream.url}" }`,
        'models:',
        '  - { name: chat, provider: sim, model: kagami-sim-chat, price: { input_per_1m: 1, output_per_1m: 2 } }',
        'audit: { checkpoint_every_rows: 10 }',
        'siem:',
        '  batch_size: 7',
        '  sinks:',
        `    - { type: webhook, id: hook, url: "${receiver.url}/ingest" }`,
        '',
      ].join('\n'),
    );
    daemon = await startDaemon({ configFile, overrides: { port: 0, data_dir: join(dir, 'data') } });
    client = new OpenAI({ baseURL: `${daemon.url}/v1`, apiKey: daemon.firstKey!, maxRetries: 0 });
  });

  afterAll(async () => {
    await daemon?.close();
    await receiver?.close();
    await upstream?.close();
    forgetCheckpointKey(join(dir, 'data'));
    rmSync(dir, { recursive: true, force: true });
  });

  const admin = (path: string, token = daemon.adminToken) => fetch(`${daemon.url}${path}`, { headers: { authorization: `Bearer ${token}` } });

  const shipped = (): ShippedLine[] =>
    receiver.requests
      .filter((request) => request.status === 200)
      .flatMap((request) => request.body.trim().split('\n').map((line) => JSON.parse(line) as ShippedLine));

  /** Polls the status route until the sink has everything up to the head (delivery is asynchronous). */
  const caughtUp = async (minHead: number): Promise<SiemStatus> => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const status = (await (await admin('/admin/siem/status')).json()) as SiemStatus;
      if (status.head >= minHead && status.sinks.every((sink) => sink.lag === 0)) return status;
      if (Date.now() > deadline) throw new Error(`sink never caught up: ${JSON.stringify(status)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it('ships every request row and admin event to the configured sink, in order, and reports the sink', async () => {
    for (let i = 0; i < REQUESTS; i++) {
      await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: `hello ${i}` }] });
    }
    // A key created by another process (the `kagami keys` CLI) becomes an admin event.
    const store = openDatabase(join(dir, 'data'));
    const keys = new KeyStore(store, { refreshMs: 0 });
    const created = keys.create({ tenant: 'acme', user: 'carol' });
    keys.close();
    store.close();

    const deadline = Date.now() + 15_000;
    while (!shipped().some((line) => line.event_type === 'key.created' && JSON.stringify(line).includes(created.id))) {
      if (Date.now() > deadline) throw new Error('key.created never shipped');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const status = await caughtUp(REQUESTS);
    expect(status.sinks).toEqual([expect.objectContaining({ id: 'hook', type: 'webhook', lag: 0, failures: 0, last_error: null, cursor: status.head, last_delivered_at: expect.any(Number) })]);

    const lines = shipped();
    // Exactly once here (the receiver never failed), every seq from 1 to the head, in order.
    expect(lines.map((line) => line.seq)).toEqual(Array.from({ length: status.head }, (_, i) => i + 1));
    expect(new Set(lines.map((line) => line.event_id)).size).toBe(lines.length);
    expect(lines.filter((line) => line.kind === 'request')).toHaveLength(REQUESTS);
    expect(lines.filter((line) => line.event_type === 'audit.checkpoint').length).toBeGreaterThanOrEqual(2);
    // Batches honour the configured size.
    expect(Math.max(...receiver.requests.map((request) => request.body.trim().split('\n').length))).toBeLessThanOrEqual(7);
  });

  it('kagami siem status asks the running daemon', async () => {
    let stdout = '';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
    try {
      expect(await runCli(['siem', 'status', '--config', configFile, '--data-dir', join(dir, 'data'), '--url', daemon.url], '0.0.0-test')).toBe(0);
    } finally {
      write.mockRestore();
    }
    expect(stdout).toMatch(/^audit trail head: seq \d+\n/);
    expect(stdout).not.toContain('daemon not running');
    expect(stdout).toMatch(/hook \(webhook\): up to date\n  lag 0 rows \(acknowledged up to seq \d+\), last delivered \d{4}-/);
  });

  it('serves Prometheus metrics of those requests behind the admin token', async () => {
    expect((await admin('/metrics', 'wrong-token')).status).toBe(401);
    expect((await admin('/admin/siem/status', 'wrong-token')).status).toBe(401);
    const response = await admin('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('llm_requests_total{provider="sim",model="chat",status="200"}')).toBe(REQUESTS);
    expect(value('llm_request_duration_seconds_count{provider="sim",model="chat",status="200"}')).toBe(REQUESTS);
    expect(value('llm_tokens_total{provider="sim",model="chat",type="prompt"}')).toBeGreaterThan(0);
    expect(value('llm_tokens_total{provider="sim",model="chat",type="completion"}')).toBeGreaterThan(0);
    expect(value('llm_cost_usd_total{provider="sim",model="chat"}')).toBeGreaterThan(0);
    expect(value('kagami_siem_lag{sink="hook",type="webhook"}')).toBeGreaterThanOrEqual(0);
    expect(text).toContain('# TYPE llm_request_duration_seconds histogram');
  });
});
