// The upstream's own JSON text goes to the client while no stage changed the answer, and only
// then: the real daemon in front of a replay upstream that writes JSON the way some servers do
// (spaces, escapes: not what JSON.stringify would write), read as raw bytes with fetch.
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../../support/gateway.js';
import { startReplayUpstream, type ReplayUpstream } from '../../support/replay-upstream.js';

let upstream: ReplayUpstream;
let gateway: TestGateway;

afterEach(async () => {
  await gateway?.close();
  await upstream?.close();
});

const JSON_ANSWER =
  '{ "id": "chatcmpl-1", "object": "chat.completion", "created": 1732300000, "model": "m-up",\n' +
  '  "choices": [ { "index": 0, "message": { "role": "assistant", "content": "Caf\\u00e9 at 9; write to bob.jones@example.org" }, "finish_reason": "stop" } ],\n' +
  '  "usage": { "prompt_tokens": 5, "completion_tokens": 9, "total_tokens": 14 } }';

/** A chunk as a server that pads its JSON writes it; `delta` is raw JSON text. */
function chunk(delta: string, finish = 'null'): string {
  return `{"id": "chatcmpl-2", "object": "chat.completion.chunk", "created": 1732300000, "model": "m-up", "choices": [{"index": 0, "delta": ${delta}, "finish_reason": ${finish}}], "usage": null}`;
}

const STREAM_EVENTS = [
  chunk('{"role": "assistant", "content": ""}'),
  chunk('{"content": "Caf\\u00e9 at 9; "}'),
  chunk('{"content": "write to bob.jones@example.org"}'),
  chunk('{}', '"stop"'),
  '{"id": "chatcmpl-2", "object": "chat.completion.chunk", "created": 1732300000, "model": "m-up", "choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 9, "total_tokens": 14}}',
];
const STREAM_BODY = `${STREAM_EVENTS.map((data) => `data: ${data}\n\n`).join('')}data: [DONE]\n\n`;

async function start(body: string, contentType: string, redaction: boolean): Promise<void> {
  upstream = await startReplayUpstream([{ status: 200, headers: { 'content-type': contentType }, body: Buffer.from(body) }]);
  gateway = await startGateway({
    config: {
      providers: [{ id: 'up', type: 'openai', base_url: `${upstream.origin}/v1` }],
      models: [{ name: 'chat-model', provider: 'up', model: 'm-up', capabilities: { chat: true } }],
      redaction: redaction ? { enabled: true } : { enabled: false },
    },
  });
}

async function post(body: Record<string, unknown>): Promise<{ status: number; text: string; contentType: string | null }> {
  const response = await fetch(`${gateway.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${gateway.apiKey}` },
    body: JSON.stringify({ model: 'chat-model', messages: [{ role: 'user', content: 'Where?' }], ...body }),
  });
  return { status: response.status, text: await response.text(), contentType: response.headers.get('content-type') };
}

describe('verbatim upstream JSON', () => {
  it('sends a JSON answer no stage changed as the upstream wrote it', async () => {
    await start(JSON_ANSWER, 'application/json', false);
    const answer = await post({});
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('application/json; charset=utf-8');
    expect(answer.text).toBe(JSON_ANSWER);
    expect(gateway.auditRows()[0]).toMatchObject({ status: 200, total_tokens: 14 });
  });

  it('sends stream chunks no stage changed as the upstream wrote them', async () => {
    await start(STREAM_BODY, 'text/event-stream', false);
    const answer = await post({ stream: true, stream_options: { include_usage: true } });
    expect(answer.text).toBe(STREAM_BODY);
    // The parsed chunks were still read: the usage reached the audit row.
    expect(gateway.auditRows()[0]).toMatchObject({ status: 200, stream: true, total_tokens: 14 });
  });

  it('leaves out the usage chunk a client did not ask for, the other chunks still as the upstream wrote them', async () => {
    await start(STREAM_BODY, 'text/event-stream', false);
    const answer = await post({ stream: true });
    expect(answer.text).toBe(`${STREAM_EVENTS.slice(0, -1).map((data) => `data: ${data}\n\n`).join('')}data: [DONE]\n\n`);
  });

  it('sends what response redaction changed, never the upstream text it replaced (JSON)', async () => {
    await start(JSON_ANSWER, 'application/json', true);
    const answer = await post({});
    expect(answer.status).toBe(200);
    expect(answer.text).not.toContain('bob.jones@example.org');
    const body = JSON.parse(answer.text) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content).toMatch(/^Café at 9; write to (?!bob\.jones@example\.org)/);
  });

  it('sends what response redaction changed, never the upstream text it replaced (stream)', async () => {
    await start(STREAM_BODY, 'text/event-stream', true);
    const answer = await post({ stream: true, stream_options: { include_usage: true } });
    expect(answer.text).not.toContain('bob.jones@example.org');
    const lines = answer.text.split('\n\n').filter((frame) => frame !== '' && frame !== 'data: [DONE]');
    let text = '';
    for (const frame of lines) {
      expect(frame.startsWith('data: ')).toBe(true);
      const parsed = JSON.parse(frame.slice(6)) as { choices: { delta?: { content?: string } }[] };
      text += parsed.choices[0]?.delta?.content ?? '';
    }
    expect(text).toMatch(/^Café at 9; write to (?!bob\.jones@example\.org)/);
  });

  it('frames an event whose JSON came in several data lines as one line', async () => {
    const split = STREAM_EVENTS[2]?.replace('"choices": ', '\ndata: "choices": ') ?? '';
    const body = `data: ${STREAM_EVENTS[0]}\n\ndata: ${split}\n\ndata: ${STREAM_EVENTS[3]}\n\ndata: [DONE]\n\n`;
    await start(body, 'text/event-stream', false);
    const answer = await post({ stream: true });
    const frames = answer.text.split('\n\n').filter((frame) => frame !== '');
    expect(frames).toHaveLength(4);
    for (const frame of frames) expect(frame).toMatch(/^data: [^\n]+$/);
    expect(JSON.parse(frames[1]?.slice(6) ?? '')).toEqual(JSON.parse(split.replace('\ndata: ', '\n')));
  });
});
