// forwardUpstream on real loopback upstreams: failover order and conditions, the injectable
// attempt policy (what routing's breakers and latency tracking plug into), and the rule that
// nothing fails over once the client has received part of an answer.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResolvedProvider } from '../../../shared/schemas/config.js';
import type { GatewayError } from '../../../shared/errors.js';
import { startMockUpstream, type MockUpstream } from '../../../daemon/mock-upstream/server.js';
import type { JsonObject, Outcome, RequestContext, Target } from '../../../daemon/pipeline/context.js';
import { requestContext } from '../../support/request-context.js';
import { createForwardUpstream, type RouteAnnotation } from '../../../daemon/pipeline/forward-upstream.js';
import { findAdapter } from '../../../daemon/providers/index.js';
import type { AttemptPolicy, AttemptResult } from '../../../daemon/upstream/attempt-policy.js';
import { createUpstreams, type Upstreams } from '../../../daemon/upstream/upstreams.js';

let primary: MockUpstream;
let secondary: MockUpstream;
let upstreams: Upstreams;

function provider(id: string, url: string, timeouts: Partial<ResolvedProvider['timeouts']> = {}): ResolvedProvider {
  return {
    id,
    type: 'openai',
    base_url: url,
    timeouts: { connect_ms: 1000, first_byte_ms: 2000, idle_ms: 2000, total_ms: 10_000, ...timeouts },
    on_prem: true,
    options: {},
    secrets: {},
  };
}

const PRIMARY: Target = { endpoint: 'main', provider: 'primary', upstreamModel: 'model-a' };
const SECONDARY: Target = { endpoint: 'backup', provider: 'secondary', upstreamModel: 'model-b' };

function context(candidates: Target[], body: JsonObject = {}): RequestContext {
  return requestContext({ model: 'alias', messages: [{ role: 'user', content: 'hi' }], ...body }, { candidates });
}

async function drain(outcome: Outcome): Promise<JsonObject[]> {
  if (outcome.kind !== 'stream') throw new Error('expected a stream');
  const chunks: JsonObject[] = [];
  for await (const chunk of outcome.events) chunks.push(chunk);
  return chunks;
}

function recordingPolicy(admit: (target: Target) => boolean = () => true): AttemptPolicy & { results: [string, AttemptResult][] } {
  const results: [string, AttemptResult][] = [];
  return {
    results,
    admit,
    record: (target, result) => results.push([target.provider, result]),
    shouldFailover: (error: GatewayError) => error.status >= 500,
  };
}

const noNext = (): Promise<Outcome> => Promise.reject(new Error('forwardUpstream must be last'));

beforeEach(async () => {
  primary = await startMockUpstream({ reply: 'from primary' });
  secondary = await startMockUpstream({ reply: 'from secondary' });
});

afterEach(async () => {
  await upstreams?.close();
  await primary.close();
  await secondary.close();
});

function build(timeouts: Partial<ResolvedProvider['timeouts']> = {}): void {
  upstreams = createUpstreams([provider('primary', primary.url, timeouts), provider('secondary', secondary.url)], findAdapter);
}

describe('forwardUpstream', () => {
  it('answers from the first candidate and names it in headers', async () => {
    build();
    const ctx = context([PRIMARY, SECONDARY]);
    const outcome = await createForwardUpstream({ upstreams })(ctx, noNext);
    expect(outcome).toMatchObject({ kind: 'json', status: 200 });
    expect(ctx.target).toEqual(PRIMARY);
    expect(ctx.responseHeaders).toEqual({ 'x-kagami-provider': 'primary', 'x-kagami-endpoint': 'main', 'x-kagami-upstream-model': 'model-a' });
    expect((primary.stats.recent[0]?.body as JsonObject).model).toBe('model-a');
    expect(secondary.stats.requests).toBe(0);
    expect(ctx.usage?.totalTokens).toBeGreaterThan(0);
  });

  it('fails over on a connection reset and records the fallback', async () => {
    build();
    primary.setFaults({ reset: 'before-headers', resetRate: 1 });
    const policy = recordingPolicy();
    const ctx = context([PRIMARY, SECONDARY]);
    const outcome = await createForwardUpstream({ upstreams, attemptPolicy: policy })(ctx, noNext);
    expect(outcome.kind === 'json' && (outcome.body.choices as { message: { content: string } }[])[0]?.message.content).toBe('from secondary');
    expect(ctx.target).toEqual(SECONDARY);
    expect((ctx.annotations.route as RouteAnnotation).fallbacksTried).toEqual(['primary/model-a']);
    expect((ctx.annotations.route as RouteAnnotation).reasons).toEqual(['upstream_error']);
    expect(policy.results.map(([id, result]) => [id, result.ok, result.error?.code])).toEqual([
      ['primary', false, 'upstream_error'],
      ['secondary', true, undefined],
    ]);
  });

  it('fails over on an upstream 5xx but not on a 4xx', async () => {
    build();
    primary.setFaults({ errorStatus: 500, errorRate: 1 });
    const ctx = context([PRIMARY, SECONDARY]);
    await createForwardUpstream({ upstreams })(ctx, noNext);
    expect(ctx.target).toEqual(SECONDARY);

    primary.setFaults({ errorStatus: 400, errorRate: 1 });
    const rejected = context([PRIMARY, SECONDARY]);
    await expect(createForwardUpstream({ upstreams })(rejected, noNext)).rejects.toMatchObject({ code: 'upstream_rejected', status: 400 });
    expect(secondary.stats.requests).toBe(1);
  });

  it('skips targets the attempt policy does not admit (open breaker)', async () => {
    build();
    const ctx = context([PRIMARY, SECONDARY]);
    await createForwardUpstream({ upstreams, attemptPolicy: recordingPolicy((target) => target.provider !== 'primary') })(ctx, noNext);
    expect(primary.stats.requests).toBe(0);
    expect(ctx.target).toEqual(SECONDARY);
    expect((ctx.annotations.route as RouteAnnotation).reasons).toEqual(['skipped']);
  });

  it('answers 503 upstream_unavailable when no candidate is admitted', async () => {
    build();
    await expect(createForwardUpstream({ upstreams, attemptPolicy: recordingPolicy(() => false) })(context([PRIMARY]), noNext)).rejects.toMatchObject({
      status: 503,
      code: 'upstream_unavailable',
    });
  });

  it('fails a stream over when it stalls before its first chunk', async () => {
    build({ idle_ms: 100 });
    primary.setFaults({ stall: 'after-headers', stallRate: 1 });
    const ctx = context([PRIMARY, SECONDARY], { stream: true });
    const chunks = await drain(await createForwardUpstream({ upstreams })(ctx, noNext));
    expect(ctx.target).toEqual(SECONDARY);
    expect(chunks.map((chunk) => (chunk.choices as { delta: { content?: string } }[])[0]?.delta.content ?? '').join('')).toBe('from secondary');
    expect((ctx.annotations.route as RouteAnnotation).reasons).toEqual(['upstream_timeout']);
  });

  it('does not fail over once stream chunks were handed on; the stream throws instead', async () => {
    build();
    primary.setOptions({ chunkCount: 6, chunkDelayMs: 30 });
    primary.setFaults({ reset: 'mid-stream', resetRate: 1 });
    const policy = recordingPolicy();
    const ctx = context([PRIMARY, SECONDARY], { stream: true });
    const outcome = await createForwardUpstream({ upstreams, attemptPolicy: policy })(ctx, noNext);
    await expect(drain(outcome)).rejects.toMatchObject({ code: 'upstream_error' });
    expect(secondary.stats.requests).toBe(0);
    expect(policy.results.map(([id, result]) => [id, result.ok])).toEqual([['primary', false]]);
  });

  it('ends an attempt at its total time budget with 504 upstream_timeout, first byte and idle timeouts being longer', async () => {
    build({ total_ms: 100, first_byte_ms: 30_000, idle_ms: 30_000 });
    primary.setFaults({ stall: 'before-headers', stallRate: 1 });
    await expect(createForwardUpstream({ upstreams })(context([PRIMARY]), noNext)).rejects.toMatchObject({
      code: 'upstream_timeout',
      status: 504,
      message: expect.stringMatching(/did not finish within 100 ms/) as unknown as string,
    });
    await expect.poll(() => primary.stats.aborted + primary.stats.stalls, { timeout: 5000, interval: 10 }).toBeGreaterThan(0);
  });

  it('ends a stream that outlasts its total time budget with upstream_timeout, and stops the upstream', async () => {
    build({ total_ms: 150, idle_ms: 30_000 });
    primary.setOptions({ chunkCount: 100, chunkDelayMs: 20 });
    const ctx = context([PRIMARY], { stream: true });
    const outcome = await createForwardUpstream({ upstreams })(ctx, noNext);
    await expect(drain(outcome)).rejects.toMatchObject({ code: 'upstream_timeout', message: expect.stringMatching(/did not finish within 150 ms/) as unknown as string });
    await expect.poll(() => primary.stats.aborted, { timeout: 5000, interval: 10 }).toBe(1);
  });

  it('stops the upstream stream when the consumer stops early', async () => {
    build();
    primary.setOptions({ chunkCount: 40, chunkDelayMs: 10 });
    const ctx = context([PRIMARY], { stream: true });
    const outcome = await createForwardUpstream({ upstreams })(ctx, noNext);
    if (outcome.kind !== 'stream') throw new Error('expected a stream');
    for await (const _chunk of outcome.events) break;
    await expect.poll(() => primary.stats.aborted, { timeout: 5000, interval: 10 }).toBe(1);
  });
});
