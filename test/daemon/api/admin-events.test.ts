// GET /admin/events and GET /admin/status on the real daemon: the admin token is required,
// each finished request arrives as one `event: request` carrying a valid RequestEvent, and
// heartbeat comments keep the stream alive.
import { Compile } from 'typebox/compile';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RequestEvent } from '../../../shared/schemas/events.js';
import { startMockUpstream, type MockUpstream } from '../../../daemon/mock-upstream/server.js';
import { SseDecoder, type SseEvent } from '../../../daemon/upstream/sse-decoder.js';
import { startGateway, type TestGateway } from '../../support/gateway.js';

const checkEvent = Compile(RequestEvent);
let upstream: MockUpstream;
let gateway: TestGateway;

beforeEach(async () => {
  upstream = await startMockUpstream();
  gateway = await startGateway({
    config: {
      providers: [{ id: 'sim', type: 'openai', base_url: upstream.url }],
      models: [{ name: 'chat-model', provider: 'sim', model: 'upstream-chat' }],
    },
    heartbeatMs: 50,
  });
});

afterEach(async () => {
  await gateway.close();
  await upstream.close();
});

/** Reads SSE events (and comments, as '' data with event ':') until `until` says stop. */
async function readEvents(body: AsyncIterable<Buffer>, until: (seen: { events: SseEvent[]; text: string }) => boolean): Promise<{ events: SseEvent[]; text: string }> {
  const decoder = new SseDecoder();
  const seen = { events: [] as SseEvent[], text: '' };
  for await (const chunk of body) {
    seen.text += chunk.toString('utf8');
    seen.events.push(...decoder.push(chunk));
    if (until(seen)) break;
  }
  return seen;
}

describe('GET /admin/events', () => {
  it('refuses a missing or wrong admin token', async () => {
    const none = await fetch(`${gateway.origin}/admin/events`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('admin_token_required');
    const wrong = await fetch(`${gateway.origin}/admin/events`, { headers: { authorization: `Bearer ${gateway.apiKey}` } });
    expect(wrong.status).toBe(401);
  });

  it('streams one RequestEvent per finished request, with heartbeats', async () => {
    const controller = new AbortController();
    const stream = await request(`${gateway.origin}/admin/events`, { headers: { authorization: `Bearer ${gateway.adminToken}` }, signal: controller.signal });
    expect(stream.statusCode).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const reading = readEvents(stream.body, (seen) => seen.events.length >= 2 && seen.text.includes(': ping'));

    for (const model of ['chat-model', 'missing-model']) {
      await fetch(`${gateway.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${gateway.apiKey}` },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      });
    }
    const { events, text } = await reading;
    controller.abort();
    expect(text.startsWith(': connected\n\n')).toBe(true);
    expect(events.map((event) => event.event)).toEqual(['request', 'request']);
    const [ok, missing] = events.map((event) => JSON.parse(event.data) as RequestEvent);
    expect(checkEvent.Check(ok)).toBe(true);
    expect(checkEvent.Check(missing)).toBe(true);
    expect(ok).toMatchObject({ status: 200, provider: 'sim', upstream_model: 'upstream-chat', tenant: 'acme', user: 'alice', stream: false });
    expect(missing).toMatchObject({ status: 404, error_code: 'model_not_found', provider: null });
    expect(JSON.stringify(ok)).not.toContain('sha256');
  });
});

describe('GET /admin/status', () => {
  it('reports version, providers and models without secrets', async () => {
    expect((await fetch(`${gateway.origin}/admin/status`)).status).toBe(401);
    const res = await fetch(`${gateway.origin}/admin/status`, { headers: { authorization: `Bearer ${gateway.adminToken}` } });
    const status = (await res.json()) as Record<string, unknown>;
    expect(status).toMatchObject({
      version: 'test',
      providers: [{ id: 'sim', type: 'openai', base_url: upstream.url }],
      models: [{ name: 'chat-model', provider: 'sim', model: 'upstream-chat' }],
    });
    expect(typeof status.uptime_s).toBe('number');
  });
});
