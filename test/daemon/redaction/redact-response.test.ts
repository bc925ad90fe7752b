// The answer side over OpenAI chunk objects and JSON bodies: one stream redactor per choice and
// per tool call, held text released in a chunk of its own before its choice's finishing chunk
// (or at the end when the upstream ends without finishing), chunks whose text is all held back
// not sent, placeholders restored, emitted PII masked.
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../daemon/pipeline/context.js';
import { createRedactionEngine } from '../../../daemon/redaction/engine.js';
import { PseudonymTable } from '../../../daemon/redaction/pseudonyms.js';
import { createResponseRedaction } from '../../../daemon/redaction/redact-response.js';
import { resolveRedactionSettings } from '../../../daemon/redaction/settings.js';

const engine = createRedactionEngine({ settings: resolveRedactionSettings(undefined), japanese: null });

function setup(options: { scan?: boolean } = {}) {
  const pseudonyms = new PseudonymTable();
  pseudonyms.placeholderFor('EMAIL', 'alice@example.com');
  const locations: string[] = [];
  const response = createResponseRedaction({
    engine,
    pseudonyms,
    scan: options.scan ?? true,
    responseActionFor: (type) => (type === 'IP_ADDRESS' ? 'allow' : 'mask'),
    onFinding: (location, finding) => locations.push(`${location}:${finding.span.type}:${finding.action}`),
  });
  return { response, locations };
}

const chunk = (choices: unknown[]): JsonObject => ({ id: 'c1', object: 'chat.completion.chunk', choices });
const content = (index: number, text: string, finish: string | null = null) => ({ index, delta: { content: text }, finish_reason: finish });

async function collect(events: AsyncIterable<JsonObject>): Promise<JsonObject[]> {
  const out: JsonObject[] = [];
  for await (const event of events) out.push(event);
  return out;
}

async function* from(chunks: JsonObject[]): AsyncIterable<JsonObject> {
  yield* chunks;
}

/** The text of each choice, put together from the chunks as a client would. */
function texts(chunks: JsonObject[]): Record<number, string> {
  const out: Record<number, string> = {};
  for (const c of chunks) {
    for (const choice of (c.choices as { index: number; delta?: { content?: string } }[]) ?? []) {
      out[choice.index] = (out[choice.index] ?? '') + (choice.delta?.content ?? '');
    }
  }
  return out;
}

describe('redactStream', () => {
  it('restores placeholders and masks PII split across chunks, releasing held text just before the finishing chunk', async () => {
    const { response, locations } = setup();
    const out = await collect(
      response.redactStream(
        from([
          chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
          chunk([content(0, 'Wrote to <EMA')]),
          chunk([content(0, 'IL_1>; card 4111 1111')]),
          chunk([content(0, ' 1111 1111')]),
          chunk([content(0, '', 'stop')]),
        ]),
      ),
    );
    expect(texts(out)[0]).toBe('Wrote to alice@example.com; card [CREDIT_CARD]');
    // Nothing held is lost or sent twice; the chunk held back whole (' 1111 1111') is not sent;
    // the rest goes out in a chunk of its own and the finishing chunk is the upstream's.
    expect(out.map((c) => (c.choices as { delta: { content: string } }[])[0]?.delta.content)).toEqual(['', 'Wrote to ', 'alice@example.com; card ', '[CREDIT_CARD]', '']);
    expect(out.at(-2)).toEqual({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: '[CREDIT_CARD]' }, finish_reason: null }] });
    expect(out.at(-1)).toEqual(chunk([content(0, '', 'stop')]));
    expect(JSON.stringify(out)).not.toMatch(/4111|<EMA/);
    expect(locations).toEqual(['response.choices[0].content:CREDIT_CARD:mask']);
  });

  it('keeps choices apart (n > 1) and allows a type whose response action is allow', async () => {
    const { response, locations } = setup();
    const out = await collect(
      response.redactStream(
        from([
          chunk([content(0, 'ssn 536-22'), content(1, 'ip 10.0.0.')]),
          chunk([content(1, '1 ok', 'stop'), content(0, '-8412 ok', 'stop')]),
        ]),
      ),
    );
    expect(texts(out)).toEqual({ 0: 'ssn [US_SSN] ok', 1: 'ip 10.0.0.1 ok' });
    expect(locations.sort()).toEqual(['response.choices[0].content:US_SSN:mask', 'response.choices[1].content:IP_ADDRESS:allow']);
  });

  it('redacts tool-call argument deltas as JSON string content', async () => {
    const { response } = setup();
    const call = (args: string, id?: string) => ({ index: 0, delta: { tool_calls: [{ index: 0, ...(id ? { id, type: 'function' } : {}), function: { arguments: args } }] }, finish_reason: null });
    const out = await collect(
      response.redactStream(from([chunk([call('', 'call_1')]), chunk([call('{"to":"<EMAIL')]), chunk([call('_1>","card":"4111111')]), chunk([call('111111111"}')]), chunk([{ index: 0, delta: {}, finish_reason: 'tool_calls' }])])),
    );
    let args = '';
    for (const c of out) for (const choice of c.choices as { delta: { tool_calls?: { function: { arguments: string } }[] } }[]) args += choice.delta.tool_calls?.[0]?.function.arguments ?? '';
    expect(JSON.parse(args)).toEqual({ to: 'alice@example.com', card: '[CREDIT_CARD]' });
  });

  it('sends held content before the first tool-call delta, and a tool call\'s held arguments before the next call', async () => {
    const { response } = setup();
    const call = (index: number, args: string, id?: string) => ({
      index: 0,
      delta: { tool_calls: [{ index, ...(id ? { id, type: 'function', function: { name: 'f', arguments: args } } : { function: { arguments: args } }) }] },
      finish_reason: null,
    });
    const out = await collect(
      response.redactStream(
        from([
          chunk([content(0, 'Let me check, call +44 20 7946')]),
          chunk([content(0, ' 0958 first')]),
          chunk([call(0, '', 'call_1')]),
          chunk([call(0, '{"to":"<EMAIL_1>","n":"4111"}')]),
          chunk([call(1, '', 'call_2')]),
          chunk([call(1, '{"q":"x"}')]),
          chunk([{ index: 0, delta: {}, finish_reason: 'tool_calls' }]),
        ]),
      ),
    );
    // What a client sees, in order: each content piece and each tool-call fragment.
    const events: string[] = [];
    for (const c of out) {
      for (const choice of c.choices as { delta: { content?: string; tool_calls?: { index: number; function?: { arguments?: string } }[] } }[]) {
        if (choice.delta.content) events.push(`content:${choice.delta.content}`);
        for (const tc of choice.delta.tool_calls ?? []) events.push(`call${tc.index}:${tc.function?.arguments ?? ''}`);
      }
    }
    const firstCall = events.findIndex((event) => event.startsWith('call'));
    expect(events.slice(0, firstCall).map((event) => event.replace('content:', '')).join('')).toBe('Let me check, call [PHONE] first');
    expect(events.slice(firstCall).some((event) => event.startsWith('content'))).toBe(false);
    const call0 = events.filter((event) => event.startsWith('call0:')).map((event) => event.slice(6)).join('');
    expect(JSON.parse(call0)).toEqual({ to: 'alice@example.com', n: '4111' });
    // Call 0's held arguments went out before call 1 started.
    expect(events.findLastIndex((event) => event.startsWith('call0:') && event !== 'call0:')).toBeLessThan(events.indexOf('call1:'));
  });

  it('appends held content to a delta that carries both content and the first tool call', async () => {
    const { response } = setup();
    const both = { index: 0, delta: { content: ' 0958 now', tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } }] }, finish_reason: null };
    const out = await collect(response.redactStream(from([chunk([content(0, 'call +44 20 7946')]), chunk([both]), chunk([{ index: 0, delta: {}, finish_reason: 'tool_calls' }])])));
    expect(out).toHaveLength(3);
    expect(texts(out)[0]).toBe('call [PHONE] now');
    expect(out[1]).toMatchObject({ choices: [{ delta: { content: '[PHONE] now', tool_calls: [{ index: 0, id: 'call_1' }] } }] });
  });

  it('sends what is still held in one extra chunk when the upstream ends without finish_reason', async () => {
    const { response } = setup();
    const out = await collect(response.redactStream(from([chunk([content(0, 'call +44 20 7946')]), chunk([content(0, ' 0958')])])));
    expect(texts(out)[0]).toBe('call [PHONE]');
    expect(out.at(-1)).toMatchObject({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: '[PHONE]' }, finish_reason: null }] });
  });

  it('only restores placeholders when responses are not scanned', async () => {
    const { response } = setup({ scan: false });
    const out = await collect(response.redactStream(from([chunk([content(0, 'to <EMAIL_1>, card 4111111111111111', 'stop')])])));
    expect(texts(out)[0]).toBe('to alice@example.com, card 4111111111111111');
  });

  it('passes chunks without choices (usage) through and counts what it held', async () => {
    const { response } = setup();
    const usage = { id: 'c1', object: 'chat.completion.chunk', choices: [], usage: { total_tokens: 3 } };
    const out = await collect(response.redactStream(from([chunk([content(0, 'Hello world', 'stop')]), usage])));
    expect(out.at(-1)).toEqual(usage);
    expect(response.holdStats().max).toBeGreaterThan(0);
  });
});

describe('redactStream keeps the provider\'s framing', () => {
  it('does not send a chunk whose only content is all held back, but keeps one with a role, logprobs or usage', async () => {
    const { response } = setup();
    const envelope = { id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', system_fingerprint: 'fp', usage: null, obfuscation: 'x' };
    const out = await collect(
      response.redactStream(
        from([
          { ...envelope, choices: [{ index: 0, delta: { role: 'assistant', content: 'Card' }, logprobs: null, finish_reason: null }] },
          { ...envelope, choices: [{ index: 0, delta: { content: ' 4111' }, logprobs: null, finish_reason: null }] },
          { ...envelope, choices: [{ index: 0, delta: { content: ' 1111' }, logprobs: { content: [{ token: ' 1111', logprob: -0.1 }] }, finish_reason: null }] },
          { ...envelope, choices: [{ index: 0, delta: { content: ' 1111' }, logprobs: null, finish_reason: null }], usage: { total_tokens: 1 } },
          { ...envelope, choices: [{ index: 0, delta: { content: ' 1111' }, logprobs: null, finish_reason: null }] },
          { ...envelope, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] },
        ]),
      ),
    );
    expect(out.map((c) => JSON.stringify((c.choices as { delta: unknown }[])[0]?.delta))).toEqual([
      '{"role":"assistant","content":""}',
      '{"content":"Card "}',
      '{"content":""}',
      '{"content":""}',
      '{"content":"[CREDIT_CARD]"}',
      '{}',
    ]);
    expect(out[1]).toEqual({ ...envelope, choices: [{ index: 0, delta: { content: 'Card ' }, logprobs: null, finish_reason: null }] });
    expect(out[2]).toMatchObject({ choices: [{ logprobs: { content: [{ token: ' 1111' }] } }] });
    expect(out[3]).toMatchObject({ usage: { total_tokens: 1 } });
    // The released text: the stream's envelope (no copied padding), usage and logprobs null.
    expect(out[4]).toEqual({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', system_fingerprint: 'fp', choices: [{ index: 0, delta: { content: '[CREDIT_CARD]' }, logprobs: null, finish_reason: null }], usage: null });
    expect(out[5]).toEqual({ ...envelope, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] });
  });

  it('drops only the held-back choice of a chunk that carries several (n > 1)', async () => {
    const { response } = setup();
    const out = await collect(response.redactStream(from([chunk([content(0, 'Hello'), content(1, 'Hi there')]), chunk([content(0, ' world', 'stop'), content(1, '!', 'stop')])])));
    expect(out[0]).toEqual(chunk([content(1, 'Hi ')]));
    expect(texts(out)).toEqual({ 0: 'Hello world', 1: 'Hi there!' });
  });

  it('keeps the text of a finishing chunk that carries text itself, with what was held before it', async () => {
    const { response } = setup();
    const out = await collect(response.redactStream(from([chunk([content(0, 'Call +44 20')]), chunk([content(0, ' 7946 0958 now.', 'stop')])])));
    expect(out).toEqual([chunk([content(0, 'Call ')]), chunk([content(0, '[PHONE] now.', 'stop')])]);
  });

  it('releases held tool-call arguments in their own chunk before a finishing chunk with an empty delta', async () => {
    const { response } = setup();
    const call = (args: string) => ({ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: args } }] }, finish_reason: null });
    const finish = chunk([{ index: 0, delta: {}, finish_reason: 'tool_calls' }]);
    const out = await collect(response.redactStream(from([chunk([call('{"to":"<EMAIL_1>')]), chunk([call('"}')]), finish])));
    expect(out.at(-2)).toEqual(chunk([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: expect.stringContaining('"}') } }] }, finish_reason: null }]));
    expect(out.at(-1)).toEqual(chunk([{ index: 0, delta: {}, finish_reason: 'tool_calls' }]));
  });

  it('does the same for the legacy completions stream (choices[].text)', async () => {
    const { response } = setup();
    const legacy = (text: string, finish: string | null = null): JsonObject => ({ id: 'cmpl-1', object: 'text_completion', created: 1, model: 'm', choices: [{ text, index: 0, logprobs: null, finish_reason: finish }] });
    const out = await collect(response.redactStream(from([legacy('Mail <EMA'), legacy('IL_1>'), legacy(' or call +44'), legacy(' 20'), legacy(' 7946 0958'), legacy('', 'stop')])));
    expect(out).toEqual([
      legacy('Mail '),
      legacy('alice@example.com or call '),
      { id: 'cmpl-1', object: 'text_completion', created: 1, model: 'm', choices: [{ index: 0, text: '[PHONE]', logprobs: null, finish_reason: null }] },
      legacy('', 'stop'),
    ]);
  });
});

describe('redactJson', () => {
  it('restores placeholders and masks emitted PII in message content, tool calls and legacy text', async () => {
    const { response, locations } = setup();
    const body: JsonObject = {
      choices: [
        { index: 0, message: { role: 'assistant', content: 'Sent to <EMAIL_1>. Your SSN 536-22-8412 is on file.', tool_calls: [{ function: { name: 'f', arguments: '{"to":"<EMAIL_1>"}' } }] } },
        { index: 1, text: 'call +44 20 7946 0958' },
      ],
    };
    await response.redactJson(body);
    expect(body).toEqual({
      choices: [
        { index: 0, message: { role: 'assistant', content: 'Sent to alice@example.com. Your SSN [US_SSN] is on file.', tool_calls: [{ function: { name: 'f', arguments: '{"to":"alice@example.com"}' } }] } },
        { index: 1, text: 'call [PHONE]' },
      ],
    });
    expect(locations).toEqual(['response.choices[0].content:US_SSN:mask', 'response.choices[1].text:PHONE:mask']);
  });
});

describe('createResponseRedaction when the client goes away', () => {
  it("hands the request's signal to the Japanese analyzer, and the answer's scan rejects when it aborts", async () => {
    const signals: (AbortSignal | undefined)[] = [];
    const japanese = {
      detectJapanese: (_text: string, signal?: AbortSignal) =>
        new Promise<never>((_resolve, reject) => {
          signals.push(signal);
          signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        }),
      close: async () => {},
    };
    const controller = new AbortController();
    const response = createResponseRedaction({
      engine: createRedactionEngine({ settings: resolveRedactionSettings(undefined), japanese }),
      pseudonyms: new PseudonymTable(),
      scan: true,
      responseActionFor: () => 'mask',
      onFinding: () => {},
      signal: controller.signal,
    });
    const scanning = response.redactJson({ choices: [{ index: 0, message: { role: 'assistant', content: '山田太郎さんの資料です。' }, finish_reason: 'stop' }] });
    await new Promise((resolve) => setImmediate(resolve));
    expect(signals).toEqual([controller.signal]);
    controller.abort();
    await expect(scanning).rejects.toMatchObject({ name: 'AbortError' });
  });
});
