// Anthropic Messages wire against the recorded real traffic (fixtures/anthropic).
import { describe, expect, it } from 'vitest';
import { anthropicWire } from '../../daemon/providers/anthropic/adapter.js';
import type { JsonObject } from '../../daemon/pipeline/context.js';
import { chunkJson, chunkLines, exchange, frameAnthropic, responseBytes } from './fixtures.js';
import { connection, runWireConformance } from './conformance.js';

const textStream = exchange('anthropic', 'messages-stream-text');
const thinking = exchange('anthropic', 'messages-stream-thinking');
const toolFirst = exchange('anthropic', 'messages-tool-roundtrip', 0);
const toolSecond = exchange('anthropic', 'messages-tool-roundtrip', 1);
const autoFirst = exchange('anthropic', 'messages-tool-choice-auto', 0);
const autoSecond = exchange('anthropic', 'messages-tool-choice-auto', 1);

const countryTools = [
  { type: 'function', function: { name: 'get_user_country', description: '', parameters: { additionalProperties: false, properties: {}, type: 'object' } } },
  {
    type: 'function',
    function: {
      name: 'final_result',
      description: 'The final response which ends this conversation',
      parameters: { properties: { city: { type: 'string' }, country: { type: 'string' } }, required: ['city', 'country'], title: 'CityLocation', type: 'object' },
    },
  },
];
const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Get the current weather for a city.',
    parameters: { additionalProperties: false, properties: { city: { type: 'string' } }, required: ['city'], type: 'object' },
  },
};

/** The recorded body without `is_error: false` on tool results (we do not send the default). */
function withoutIsError(body: JsonObject): JsonObject {
  return JSON.parse(JSON.stringify(body, (key, value: unknown) => (key === 'is_error' && value === false ? undefined : value))) as JsonObject;
}

/** Independent oracle: the text deltas of a recorded SSE body, read in one piece. */
function deltasOf(bytes: Buffer, field: 'text' | 'thinking'): string {
  return bytes
    .toString('utf8')
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => JSON.parse(line.slice(6)) as { type: string; delta?: Record<string, string> })
    .filter((event) => event.type === 'content_block_delta' && event.delta?.['type'] === `${field}_delta`)
    .map((event) => event.delta?.[field] ?? '')
    .join('');
}

const thinkingBytes = responseBytes('anthropic', thinking);

runWireConformance({
  name: 'anthropic',
  wire: anthropicWire,
  // The recorded requests were made without prompt caching; breakpoints are tested below.
  connection: connection('anthropic', { prompt_caching: 'off' }),
  upstreamModel: 'claude-sonnet-4-5',
  requests: [
    {
      name: 'a streamed text request (explicit max_tokens)',
      call: { body: { messages: [{ role: 'user', content: 'What is 1+1? Answer with just the number.' }], max_tokens: 32000, stream: true } },
      recorded: textStream.request.body,
      path: '/messages',
    },
    {
      name: 'a forced tool call (tool_choice required → any, max_tokens default 4096)',
      call: { body: { messages: [{ role: 'user', content: 'What is the largest city in the user country?' }], tools: countryTools, tool_choice: 'required', stream: false } },
      recorded: { ...toolFirst.request.body, stream: undefined },
      extra: [],
    },
    {
      name: 'the tool result turn (assistant tool_calls → tool_use, tool → tool_result)',
      call: {
        body: {
          messages: [
            { role: 'user', content: 'What is the largest city in the user country?' },
            { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_01X9wcHKKAZD9tBC711xipPa', type: 'function', function: { name: 'get_user_country', arguments: '{}' } }] },
            { role: 'tool', tool_call_id: 'toolu_01X9wcHKKAZD9tBC711xipPa', content: 'Mexico' },
          ],
          tools: countryTools,
          tool_choice: 'required',
        },
      },
      recorded: withoutIsError({ ...toolSecond.request.body, stream: undefined }),
    },
    {
      name: 'tool_choice auto with a function tool',
      call: { body: { messages: [{ role: 'user', content: "What's the weather in Paris?" }], tools: [weatherTool], tool_choice: 'auto' } },
      recorded: { ...autoFirst.request.body, stream: undefined },
    },
    {
      name: 'reasoning_effort low → thinking with a 1024-token budget',
      call: { upstreamModel: 'claude-sonnet-4-0', body: { messages: [{ role: 'user', content: 'How do I cross the street?' }], reasoning_effort: 'low', stream: true } },
      recorded: thinking.request.body,
    },
  ].map((c) => ({ ...c, recorded: JSON.parse(JSON.stringify(c.recorded)) as JsonObject })),
  answers: [
    {
      name: 'a tool_use answer',
      raw: JSON.stringify(toolFirst.response.body),
      expect: { toolCalls: [{ id: 'toolu_01X9wcHKKAZD9tBC711xipPa', name: 'get_user_country', arguments: {} }], finishReason: 'tool_calls', usage: { promptTokens: 445, completionTokens: 23, totalTokens: 468, cachedTokens: 0 }, model: 'claude-sonnet-4-5-20250929' },
    },
    {
      name: 'a tool_use answer with arguments',
      raw: JSON.stringify(toolSecond.response.body),
      expect: { toolCalls: [{ name: 'final_result', arguments: { city: 'Mexico City', country: 'Mexico' } }], finishReason: 'tool_calls', usage: { promptTokens: 497, completionTokens: 56, totalTokens: 553, cachedTokens: 0 } },
    },
    {
      name: 'the text answer after a tool result',
      raw: JSON.stringify(autoSecond.response.body),
      expect: {
        text: String(((autoSecond.response.body as { content: { text: string }[] }).content[0] as { text: string }).text),
        finishReason: 'stop',
        usage: {
          promptTokens: (autoSecond.response.body as { usage: { input_tokens: number } }).usage.input_tokens,
          completionTokens: (autoSecond.response.body as { usage: { output_tokens: number } }).usage.output_tokens,
          totalTokens: (autoSecond.response.body as { usage: { input_tokens: number; output_tokens: number } }).usage.input_tokens + (autoSecond.response.body as { usage: { output_tokens: number } }).usage.output_tokens,
          cachedTokens: 0,
        },
      },
    },
    {
      name: 'a plain text answer',
      raw: chunkJson('anthropic', 'anthropic-text.json'),
      expect: { text: "Hello! I'm doing well, thanks for asking. How are you doing today? Is there anything I can help you with?", finishReason: 'stop', usage: { promptTokens: 12, completionTokens: 29, totalTokens: 41, cachedTokens: 0 } },
    },
    {
      name: 'text and a tool call without arguments',
      raw: chunkJson('anthropic', 'anthropic-tool-no-args.json'),
      expect: {
        text: '<thinking>\nThe updateIssueList tool was provided in the list of available functions. The tool has no required parameters, so it can be called without any additional information needed from the user.\n</thinking>\n\nOkay, I will update the current issue list:',
        toolCalls: [{ id: 'toolu_01LRmxn9vGM1d2DZSDBowdZ1', name: 'updateIssueList', arguments: {} }],
        finishReason: 'tool_calls',
        usage: { promptTokens: 602, completionTokens: 93, totalTokens: 695, cachedTokens: 0 },
      },
    },
    {
      name: 'a refusal → finish_reason content_filter',
      raw: chunkJson('anthropic', 'anthropic-refusal.json'),
      expect: { text: '', finishReason: 'content_filter', usage: { promptTokens: 18, completionTokens: 5, totalTokens: 23, cachedTokens: 0 } },
    },
  ],
  streams: [
    {
      name: 'the recorded text stream',
      bytes: responseBytes('anthropic', textStream),
      expect: { text: '2', finishReason: 'stop', usage: { promptTokens: 20, completionTokens: 5, totalTokens: 25, cachedTokens: 0 }, model: 'claude-sonnet-4-5-20250929' },
    },
    {
      name: 'the recorded thinking stream (thinking and signature deltas)',
      bytes: thinkingBytes,
      expect: { text: deltasOf(thinkingBytes, 'text'), reasoning: deltasOf(thinkingBytes, 'thinking'), finishReason: 'stop', usage: { promptTokens: 43, completionTokens: 282, totalTokens: 325, cachedTokens: 0 } },
    },
    {
      name: 'text then a tool call without arguments (ping between blocks)',
      bytes: frameAnthropic(chunkLines('anthropic', 'anthropic-tool-no-args.chunks.txt')),
      expect: { text: "I'll update the issue list for you.", toolCalls: [{ id: 'toolu_01QE1WLsSVp5hy5Q3GmGTmjP', name: 'updateIssueList', arguments: {} }], finishReason: 'tool_calls', usage: { promptTokens: 565, completionTokens: 48, totalTokens: 613, cachedTokens: 0 } },
    },
    {
      name: 'response_format json answered through the forced json tool (input_json_delta → content)',
      bytes: frameAnthropic(chunkLines('anthropic', 'anthropic-json-tool.1.chunks.txt')),
      body: { model: 'x', messages: [{ role: 'user', content: 'weather?' }], response_format: { type: 'json_object' } },
      expect: { text: '{"elements": [{"location": "San Francisco", "temperature": 58, "condition": "sunny"}]}', finishReason: 'stop', usage: { promptTokens: 849, completionTokens: 47, totalTokens: 896, cachedTokens: 0 } },
    },
    {
      name: 'message_delta carrying input_tokens overrides message_start',
      bytes: frameAnthropic(chunkLines('anthropic', 'anthropic-message-delta-input-tokens.chunks.txt')),
      expect: { text: 'pong', finishReason: 'stop', usage: { promptTokens: 61, completionTokens: 2, totalTokens: 63, cachedTokens: 0 } },
    },
    {
      name: 'a streamed refusal',
      bytes: frameAnthropic(chunkLines('anthropic', 'anthropic-refusal.chunks.txt')),
      expect: { text: '', finishReason: 'content_filter', usage: { promptTokens: 18, completionTokens: 5, totalTokens: 23, cachedTokens: 0 } },
    },
  ],
  errors: [
    {
      name: 'a 400 invalid_request_error passes through as 400',
      status: 400,
      raw: JSON.stringify(exchange('anthropic', 'error-400-invalid-request').response.body),
      expect: { status: 400, code: 'upstream_rejected', message: /does not support effort level 'xhigh'/ },
    },
    {
      name: 'a 404 not_found_error passes through as 404',
      status: 404,
      raw: JSON.stringify(exchange('anthropic', 'error-404-not-found').response.body),
      expect: { status: 404, code: 'upstream_rejected', message: /claude-does-not-exist/ },
    },
    {
      name: 'a 429 keeps its retry-after',
      status: 429,
      raw: JSON.stringify(exchange('anthropic', 'error-400-invalid-request').response.body),
      headers: { 'retry-after': '7' },
      expect: { status: 429, code: 'rate_limit_exceeded', headers: { 'retry-after': '7' } },
    },
    {
      name: 'a 401 (bad provider key) is the gateway’s problem: 502',
      status: 401,
      raw: JSON.stringify(exchange('anthropic', 'error-404-not-found').response.body),
      expect: { status: 502, code: 'upstream_error', message: /credentials/ },
    },
    { name: 'a non-JSON 503 from a proxy is a 502', status: 503, raw: '<html>Service Unavailable</html>', expect: { status: 502, code: 'upstream_error', message: /Service Unavailable/ } },
  ],
  rejects: [
    { name: 'n > 1', body: { model: 'x', messages: [{ role: 'user', content: 'hi' }], n: 2 }, expect: { code: 'unsupported_feature', param: 'n' } },
    { name: 'a non-function tool', body: { model: 'x', messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'web_search' }] }, expect: { code: 'unsupported_feature', param: 'tools[0].type' } },
    {
      name: 'tool call arguments that are not JSON',
      body: { model: 'x', messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{oops' } }] }] },
      expect: { code: 'invalid_request', param: 'messages[1].tool_calls[0].function.arguments' },
    },
    { name: 'an audio content part', body: { model: 'x', messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] }, expect: { code: 'unsupported_feature', param: 'messages[0].content[0]' } },
  ],
});

describe('anthropic request translation', () => {
  const build = (body: JsonObject, caching: Record<string, unknown> = { prompt_caching: 'off' }): JsonObject =>
    JSON.parse(
      String(
        anthropicWire.buildRequest({ op: 'chat', stream: false, upstreamModel: 'claude', connection: connection('anthropic', caching), body: { model: 'claude', ...body } }).body,
      ),
    ) as JsonObject;

  it('merges system and developer messages into system and keeps user/assistant alternating', () => {
    const sent = build({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'a' },
        { role: 'developer', content: [{ type: 'text', text: 'Use French.' }] },
        { role: 'user', content: 'b' },
        { role: 'assistant', content: 'c' },
        { role: 'assistant', content: 'd' },
      ],
    });
    expect(sent['system']).toEqual([{ type: 'text', text: 'Be brief.' }, { type: 'text', text: 'Use French.' }]);
    expect(sent['messages']).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'c' }, { type: 'text', text: 'd' }] },
    ]);
  });

  it('turns thinking on for a new question but not for the turn answering tool results (no signed thinking block to send back)', () => {
    const question = [{ role: 'user', content: 'Weather in Paris?' }];
    expect(build({ messages: question, reasoning_effort: 'medium' })['thinking']).toEqual({ type: 'enabled', budget_tokens: 4096 });
    const toolLoop = [
      ...question,
      { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'toolu_1', content: 'Sunny' },
    ];
    const sent = build({ messages: toolLoop, reasoning_effort: 'medium' });
    expect(sent['thinking']).toBeUndefined();
    expect(sent['max_tokens']).toBe(4096);
    // A later question after the loop is a fresh assistant turn: thinking is back.
    expect(build({ messages: [...toolLoop, { role: 'assistant', content: 'It is sunny.' }, { role: 'user', content: 'And Rome?' }], reasoning_effort: 'medium' })['thinking']).toEqual({ type: 'enabled', budget_tokens: 4096 });
  });

  it('marks the tools, the system prompt and the last two user turns for prompt caching unless it is off', () => {
    const tools = [{ type: 'function', function: { name: 'a', parameters: { type: 'object' } } }, { type: 'function', function: { name: 'b', parameters: { type: 'object' } } }];
    const messages = [
      { role: 'system', content: 'Long instructions.' },
      { role: 'user', content: 'first' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'a', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'toolu_1', content: 'result' },
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: [{ type: 'text', text: 'second' }, { type: 'text', text: 'third' }] },
    ];
    const sent = build({ messages, tools }, {});
    const ephemeral = { type: 'ephemeral' };
    expect((sent['tools'] as JsonObject[]).map((tool) => tool['cache_control'])).toEqual([undefined, ephemeral]);
    expect(sent['system']).toEqual([{ type: 'text', text: 'Long instructions.', cache_control: ephemeral }]);
    expect(sent['messages']).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'first' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'a', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'result', cache_control: ephemeral }] },
      { role: 'assistant', content: [{ type: 'text', text: 'ok' }] },
      { role: 'user', content: [{ type: 'text', text: 'second' }, { type: 'text', text: 'third', cache_control: ephemeral }] },
    ]);
    expect(JSON.stringify(build({ messages, tools }))).not.toContain('cache_control');
  });

  it('sends data-URL images as base64 sources and http URLs as url sources', () => {
    const sent = build({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          ],
        },
      ],
    });
    expect((sent['messages'] as JsonObject[])[0]).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'what is this?' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
        { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
      ],
    });
  });

  it('maps stop, tool_choice none / a named function, parallel_tool_calls false and user', () => {
    const sent = build({
      messages: [{ role: 'user', content: 'hi' }],
      stop: 'END',
      tools: [weatherTool],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
      user: 'u-1',
    });
    expect(sent['stop_sequences']).toEqual(['END']);
    expect(sent['tool_choice']).toEqual({ type: 'tool', name: 'get_weather', disable_parallel_tool_use: true });
    expect(sent['metadata']).toEqual({ user_id: 'u-1' });
    expect(build({ messages: [{ role: 'user', content: 'hi' }], tools: [weatherTool], tool_choice: 'none' })['tool_choice']).toEqual({ type: 'none' });
  });

  it('answers response_format json_schema with a forced json tool carrying the schema', () => {
    const schema = { type: 'object', properties: { a: { type: 'number' } } };
    const sent = build({ messages: [{ role: 'user', content: 'hi' }], response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } });
    expect(sent['tools']).toEqual([{ name: 'json', description: 'Respond with a JSON object.', input_schema: schema }]);
    expect(sent['tool_choice']).toEqual({ type: 'tool', name: 'json' });
  });

  it('reports cache reads as cached_tokens and counts cache writes as prompt tokens', () => {
    const raw = JSON.stringify({
      id: 'm',
      model: 'c',
      content: [{ type: 'text', text: 'ok' }],
      stop_reason: 'max_tokens',
      usage: { input_tokens: 10, cache_creation_input_tokens: 100, cache_read_input_tokens: 1000, output_tokens: 5 },
    });
    const result = anthropicWire.parseResponse(raw, { op: 'chat', stream: false, upstreamModel: 'c', connection: connection('anthropic'), body: { model: 'c', messages: [] } });
    expect(result.usage).toEqual({ promptTokens: 1110, completionTokens: 5, totalTokens: 1115, cachedTokens: 1000, cacheWriteTokens: 100 });
    expect(result.body['usage']).toEqual({ prompt_tokens: 1110, completion_tokens: 5, total_tokens: 1115, prompt_tokens_details: { cached_tokens: 1000, cache_write_tokens: 100 } });
    expect((result.body['choices'] as JsonObject[])[0]?.['finish_reason']).toBe('length');
  });

  it('throws an upstream error event inside the stream as a GatewayError', () => {
    const decoder = anthropicWire.createStreamDecoder({ op: 'chat', stream: true, upstreamModel: 'c', connection: connection('anthropic'), body: { model: 'c', messages: [] } });
    const bytes = Buffer.from('event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n');
    expect(() => decoder.push(bytes)).toThrow(/Overloaded/);
  });

  it('refuses a stream that ends before message_stop', () => {
    const lines = chunkLines('anthropic', 'anthropic-text.chunks.txt').slice(0, 4);
    const decoder = anthropicWire.createStreamDecoder({ op: 'chat', stream: true, upstreamModel: 'c', connection: connection('anthropic'), body: { model: 'c', messages: [] } });
    decoder.push(frameAnthropic(lines));
    expect(() => decoder.end()).toThrow(/ended before message_stop/);
  });
});
