// OpenTelemetry traces from the running daemon (`startDaemon`, as `kagami start`) to a local
// OTLP/HTTP receiver: each request is one SERVER span, a child of the caller's traceparent,
// with child spans for auth, policy, limits, redaction, cache, route and the upstream call;
// every export body is checked against the published OTLP proto JSON mapping.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type RunningDaemon } from '../../../daemon/cli/start.js';
import { startMockUpstream, type MockUpstream } from '../../../daemon/mock-upstream/server.js';
import { HttpReceiver } from '../siem/http-receiver.js';
import { forgetCheckpointKey } from '../audit/trail-db.js';
import { otlpJsonErrors } from '../siem/otlp-proto-json.js';

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: { key: string; value: Record<string, unknown> }[];
  status: { code: number; message?: string };
}

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const CHILDREN = ['kagami.auth', 'kagami.policy', 'kagami.limits', 'kagami.redaction', 'kagami.cache', 'kagami.route', 'kagami.upstream'];

describe('request traces exported over OTLP/HTTP JSON', () => {
  let dir: string;
  let upstream: MockUpstream;
  let collector: HttpReceiver;
  let daemon: RunningDaemon;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kagami-traces-'));
    upstream = await startMockUpstream({ keepRecent: 0, chunkDelayMs: 5 });
    collector = await HttpReceiver.start();
    const configFile = join(dir, 'kagami.yaml');
    writeFileSync(configFile, [
      'providers:',
      `  - { id: sim, type: openai, base_url: "${upstream.url}" }`,
      'models:',
      '  - { name: chat, provider: sim, model: kagami-sim-chat }',
      'telemetry:',
      '  traces:',
      `    endpoint: "${collector.url}/v1/traces"`,
      '    headers: { x-collector-key: k1 }',
      '    flush_ms: 20',
      '',
    ].join('\n'));
    daemon = await startDaemon({ configFile, overrides: { port: 0, data_dir: join(dir, 'data') } });
  });
  afterAll(async () => {
    await daemon?.close();
    await collector?.close();
    await upstream?.close();
    forgetCheckpointKey(join(dir, 'data'));
    rmSync(dir, { recursive: true, force: true });
  });

  const spans = (): Span[] =>
    collector.requests.flatMap((request) => {
      const body = JSON.parse(request.body) as { resourceSpans: { scopeSpans: { spans: Span[] }[] }[] };
      return body.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans));
    });
  const attribute = (span: Span, key: string) => Object.values(span.attributes.find((a) => a.key === key)?.value ?? {})[0];

  /** Waits for the exporter's next flush to carry the spans of this trace. */
  const spansOf = async (traceId: string, count: number): Promise<Span[]> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = spans().filter((span) => span.traceId === traceId);
      if (found.length >= count) return found;
      if (Date.now() > deadline) throw new Error(`only ${found.length} spans of ${traceId} arrived`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it('exports a server span under the caller\'s span with a child span per stage', async () => {
    const client = new OpenAI({ baseURL: `${daemon.url}/v1`, apiKey: daemon.firstKey!, maxRetries: 0, defaultHeaders: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` } });
    const { response } = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    const ourSpan = response.headers.get('traceparent')!.split('-')[2];

    const found = await spansOf(CALLER_TRACE, 1 + CHILDREN.length);
    const server = found.find((span) => span.kind === 2)!;
    expect(server).toMatchObject({ spanId: ourSpan, parentSpanId: CALLER_SPAN, name: 'chat chat', status: { code: 0 } });
    expect(attribute(server, 'http.response.status_code')).toBe('200');
    expect(attribute(server, 'gen_ai.system')).toBe('sim');
    expect(attribute(server, 'gen_ai.response.model')).toBe('kagami-sim-chat');
    expect(Number(attribute(server, 'gen_ai.usage.output_tokens'))).toBeGreaterThan(0);
    const children = found.filter((span) => span !== server);
    expect(children.map((span) => span.name).sort()).toEqual([...CHILDREN].sort());
    for (const child of children) {
      expect(child.parentSpanId).toBe(ourSpan);
      expect(BigInt(child.startTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(server.startTimeUnixNano));
      expect(BigInt(child.endTimeUnixNano)).toBeLessThanOrEqual(BigInt(server.endTimeUnixNano));
      expect(BigInt(child.endTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(child.startTimeUnixNano));
    }
    const upstreamSpan = children.find((span) => span.name === 'kagami.upstream')!;
    expect(upstreamSpan.kind).toBe(3);
    expect(attribute(upstreamSpan, 'gen_ai.system')).toBe('sim');
    expect(collector.requests[0]!.headers['x-collector-key']).toBe('k1');
    for (const request of collector.requests) expect(otlpJsonErrors('ExportTraceServiceRequest', JSON.parse(request.body))).toEqual([]);
  });

  it('keeps the upstream span open until a streamed answer has ended', async () => {
    const client = new OpenAI({ baseURL: `${daemon.url}/v1`, apiKey: daemon.firstKey!, maxRetries: 0 });
    const { data: stream, response } = await client.chat.completions.create({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'tell me more' }] }).withResponse();
    let chunks = 0;
    for await (const _chunk of stream) chunks += 1;
    const traceId = response.headers.get('x-kagami-trace-id')!;
    const found = await spansOf(traceId, 1 + CHILDREN.length);
    const server = found.find((span) => span.kind === 2)!;
    const upstreamSpan = found.find((span) => span.name === 'kagami.upstream')!;
    const route = found.find((span) => span.name === 'kagami.route')!;
    expect(chunks).toBeGreaterThan(2);
    expect(attribute(server, 'kagami.stream')).toBe(true);
    // The stream took several chunk delays: the upstream span covers them, the route span does not.
    expect(BigInt(upstreamSpan.endTimeUnixNano) - BigInt(upstreamSpan.startTimeUnixNano)).toBeGreaterThan(BigInt(route.endTimeUnixNano) - BigInt(route.startTimeUnixNano));
    expect(BigInt(upstreamSpan.endTimeUnixNano)).toBeLessThanOrEqual(BigInt(server.endTimeUnixNano));
  });

  it('marks the auth span failed for a bad key; a 401 is not a server error', async () => {
    const client = new OpenAI({ baseURL: `${daemon.url}/v1`, apiKey: 'sk-kagami-wrong', maxRetries: 0 });
    const error = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }).then(
      () => { throw new Error('a wrong key was accepted'); },
      (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
    );
    expect(error.status).toBe(401);
    const traceId = error.headers!.get('x-kagami-trace-id')!;
    const found = await spansOf(traceId, 2);
    expect(found.map((span) => span.name).sort()).toEqual(['chat chat', 'kagami.auth']);
    const auth = found.find((span) => span.name === 'kagami.auth')!;
    const server = found.find((span) => span.kind === 2)!;
    expect(auth.status.code).toBe(2);
    expect(attribute(server, 'http.response.status_code')).toBe('401');
    expect(attribute(server, 'error.type')).toBe(attribute(auth, 'error.type'));
    expect(server.status.code).toBe(0);
  });
});
