// A client that goes away in the middle of a /v1/responses or /v1/messages stream: the
// upstream request is aborted (nothing keeps generating for nobody) and the audit row says
// client_disconnected. The upstream is the simulator, streaming 300 words 20 ms apart.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../../daemon/mock-upstream/server.js';
import { oneModelConfig, startGateway, type TestGateway } from '../support/gateway.js';

let upstream: MockUpstream | undefined;
let gateway: TestGateway | undefined;

afterEach(async () => {
  await gateway?.close();
  await upstream?.close();
  gateway = upstream = undefined;
});

async function start(): Promise<TestGateway> {
  upstream = await startMockUpstream({ reply: 'one more word '.repeat(100), chunkDelayMs: 20 });
  gateway = await startGateway({ config: oneModelConfig(upstream.url) });
  return gateway;
}

async function expectAbortedAndAudited(api: string): Promise<void> {
  await vi.waitFor(() => expect(upstream?.stats.aborted).toBe(1), { timeout: 5000, interval: 10 });
  expect(upstream?.stats.completed).toBe(0);
  await vi.waitFor(() => expect(gateway?.auditRows()[0]).toMatchObject({ api, error_code: 'client_disconnected', status: 499, stream: true }), { timeout: 5000, interval: 10 });
}

describe('a client leaving mid-stream', () => {
  it('/v1/responses: aborts the upstream and audits client_disconnected', async () => {
    const { apiKey, baseURL } = await start();
    const controller = new AbortController();
    const stream = await new OpenAI({ apiKey, baseURL, maxRetries: 0 }).responses.create({ model: 'chat-model', input: 'hi', stream: true, store: false }, { signal: controller.signal });
    await (async () => {
      for await (const event of stream) if (event.type === 'response.output_text.delta') controller.abort();
    })().catch(() => undefined);
    await expectAbortedAndAudited('openai.responses');
  });

  it('/v1/messages: aborts the upstream and audits client_disconnected', async () => {
    const { apiKey, origin } = await start();
    const controller = new AbortController();
    const stream = await new Anthropic({ apiKey, baseURL: origin, maxRetries: 0 }).messages.create(
      { model: 'chat-model', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], stream: true },
      { signal: controller.signal },
    );
    await (async () => {
      for await (const event of stream) if (event.type === 'content_block_delta') controller.abort();
    })().catch(() => undefined);
    await expectAbortedAndAudited('anthropic.messages');
  });
});
