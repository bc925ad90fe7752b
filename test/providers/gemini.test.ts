// Gemini (Generative Language API) and Vertex AI wires against the recorded real traffic
// (fixtures/gemini, fixtures/vertex).
import { describe, expect, it } from 'vitest';
import { geminiWire } from '../../daemon/providers/gemini/adapter.js';
import { vertexWire } from '../../daemon/providers/vertex/adapter.js';
import type { JsonObject } from '../../daemon/pipeline/context.js';
import type { WireCall } from '../../daemon/providers/types.js';
import { chunkJson, chunkLines, exchange, frameGemini, responseBytes } from './fixtures.js';
import { answerOfChunks, connection, runWireConformance } from './conformance.js';

const streamText = exchange('gemini', 'stream-generate-content-text');
const toolFirst = exchange('gemini', 'generate-content-tool-roundtrip', 0);
const toolSecond = exchange('gemini', 'generate-content-tool-roundtrip', 1);
const streamTools = [1, 2, 3].map((n) => exchange('gemini', 'stream-generate-content-tool-roundtrip', n - 1));
const vertexText = exchange('vertex', 'generate-content-vertex');
const vertexStream = exchange('vertex', 'stream-generate-content-vertex');

/** The recording spells proto fields in snake_case (also accepted); we send camelCase. */
function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key === 'parameters_json_schema' ? 'parametersJsonSchema' : key, key === 'parameters_json_schema' ? inner : camelKeys(inner)]),
  );
}

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Get the current weather for a city.',
    parameters: { additionalProperties: false, properties: { city: { type: 'string' } }, required: ['city'], type: 'object' },
  },
};

const usageOf = (prompt: number, completion: number, cached = 0) => ({ promptTokens: prompt, completionTokens: completion, totalTokens: prompt + completion, cachedTokens: cached });

runWireConformance({
  name: 'gemini',
  wire: geminiWire,
  connection: connection('gemini'),
  upstreamModel: 'gemini-2.5-flash',
  requests: [
    {
      name: 'system instruction, one user turn, temperature 0, streamed',
      call: {
        upstreamModel: 'gemini-2.0-flash-exp',
        body: { messages: [{ role: 'system', content: 'You are a helpful chatbot.' }, { role: 'user', content: 'What is the capital of France?' }], temperature: 0, stream: true },
      },
      recorded: streamText.request.body,
      path: '/models/gemini-2.0-flash-exp:streamGenerateContent?alt=sse',
    },
    {
      name: 'a function tool with tool_choice auto (JSON Schema parameters)',
      call: { body: { messages: [{ role: 'user', content: "What's the weather in Paris?" }], tools: [weatherTool], tool_choice: 'auto' } },
      recorded: camelKeys(toolFirst.request.body) as JsonObject,
      path: '/models/gemini-2.5-flash:generateContent',
      // The recording asked for responseModalities ["TEXT"], the default; we send no generation fields here.
      omit: ['generationConfig'],
      extra: ['generationConfig'],
    },
  ],
  answers: [
    {
      name: 'a text answer whose thinking tokens count as completion tokens',
      raw: JSON.stringify(exchange('gemini', 'generate-content-text').response.body),
      expect: { text: 'Hello! How can I help you today?', finishReason: 'stop', usage: usageOf(9, 43), model: 'gemini-2.5-flash' },
    },
    {
      name: 'a function call (finishReason STOP with a call → tool_calls)',
      raw: JSON.stringify(toolFirst.response.body),
      expect: { toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }], finishReason: 'tool_calls', usage: usageOf(49, 63) },
    },
    {
      name: 'the answer after the function response',
      raw: JSON.stringify(toolSecond.response.body),
      expect: { text: 'The weather in Paris is sunny with a temperature of 22C.', finishReason: 'stop', usage: usageOf(88, 15) },
    },
    {
      name: 'a safety block → finish_reason content_filter',
      raw: JSON.stringify(exchange('gemini', 'generate-content-safety-settings').response.body),
      expect: { text: '', finishReason: 'content_filter', usage: usageOf(14, 0) },
    },
    {
      name: 'a text answer with a thought signature',
      raw: chunkJson('gemini', 'google-text.json'),
      expect: { text: "There are **3** r's in strawberry.\n\nHere is the breakdown: st**r**awbe**rr**y.", finishReason: 'stop', usage: usageOf(9, 272) },
    },
    {
      name: 'a function call with a thought signature',
      raw: chunkJson('gemini', 'google-tool-call.json'),
      expect: { toolCalls: [{ name: 'weather', arguments: { location: 'San Francisco' } }], finishReason: 'tool_calls', usage: usageOf(29, 908) },
    },
  ],
  streams: [
    {
      name: 'the recorded text stream (\\r\\n\\r\\n framing, repeated usageMetadata)',
      bytes: responseBytes('gemini', streamText),
      expect: { text: 'The capital of France is Paris.\n', finishReason: 'stop', usage: usageOf(13, 8), model: 'gemini-2.0-flash-exp' },
    },
    {
      name: 'the recorded streamed function call',
      bytes: responseBytes('gemini', streamTools[0] as never),
      expect: { toolCalls: [{ name: 'get_capital', arguments: { country: 'France' } }], finishReason: 'tool_calls', usage: usageOf(52, 5) },
    },
    {
      name: 'the recorded second streamed function call',
      bytes: responseBytes('gemini', streamTools[1] as never),
      expect: { toolCalls: [{ name: 'get_temperature', arguments: { city: 'Paris' } }], finishReason: 'tool_calls', usage: usageOf(64, 5) },
    },
    {
      name: 'the recorded final answer (a UTF-8 ° split across reads)',
      bytes: responseBytes('gemini', streamTools[2] as never),
      expect: { text: 'The temperature in Paris is 30°C.\n', finishReason: 'stop', usage: usageOf(79, 12) },
    },
    {
      name: 'text chunks then an empty text part carrying the signature',
      bytes: frameGemini(chunkLines('gemini', 'google-reasoning.chunks.txt')),
      expect: { text: 'There are **3** "r"s in strawberry.\n\nHere is the breakdown: st**r**awbe**rr**y.', finishReason: 'stop', usage: usageOf(9, 285) },
    },
    {
      name: 'a function call chunk then a final empty text chunk',
      bytes: frameGemini(chunkLines('gemini', 'google-tool-call.chunks.txt')),
      expect: { toolCalls: [{ name: 'weather', arguments: { location: 'San Francisco' } }], finishReason: 'tool_calls', usage: usageOf(29, 60) },
    },
    {
      name: 'streamed function-call arguments (partialArgs by JSON path), two calls',
      bytes: frameGemini(chunkLines('gemini', 'google-stream-tool-call-arguments.chunks.txt')),
      expect: {
        toolCalls: [
          { name: 'getWeather', arguments: { location: 'Boston' } },
          { name: 'getWeather', arguments: { location: 'San Francisco' } },
        ],
        finishReason: 'tool_calls',
        usage: usageOf(26, 155),
      },
    },
  ],
  errors: [
    {
      name: 'a 429 RESOURCE_EXHAUSTED with RetryInfo → 429 with retry-after',
      status: 429,
      raw: chunkJson('gemini', 'google-429-retry-info.json'),
      expect: { status: 429, code: 'rate_limit_exceeded', message: /RESOURCE_EXHAUSTED: You exceeded your current quota/, headers: { 'retry-after': '35' } },
    },
    { name: 'a non-JSON 500 → 502', status: 500, raw: 'upstream connect error', expect: { status: 502, code: 'upstream_error' } },
  ],
  rejects: [
    { name: 'a tool result answering no known call', body: { model: 'x', messages: [{ role: 'user', content: 'hi' }, { role: 'tool', tool_call_id: 'nope', content: 'x' }] }, expect: { code: 'invalid_request', param: 'messages[1].tool_call_id' } },
    { name: 'n > 1', body: { model: 'x', messages: [{ role: 'user', content: 'hi' }], n: 3 }, expect: { code: 'unsupported_feature', param: 'n' } },
  ],
});

runWireConformance({
  name: 'vertex',
  wire: vertexWire,
  connection: connection('vertex', { project: 'pydantic-ai', location: 'global' }),
  upstreamModel: 'gemini-2.0-flash',
  requests: [
    {
      name: 'the recorded Vertex request (project/location path)',
      call: { body: { messages: [{ role: 'system', content: 'You are a helpful chatbot.' }, { role: 'user', content: 'What is the capital of France?' }] } },
      recorded: vertexText.request.body,
      path: '/projects/pydantic-ai/locations/global/publishers/google/models/gemini-2.0-flash:generateContent',
    },
    {
      name: 'the recorded Vertex stream request',
      call: { upstreamModel: 'gemini-3-flash-preview', body: { messages: [{ role: 'user', content: 'Reply with exactly: OK' }], stream: true } },
      recorded: vertexStream.request.body,
      path: '/projects/pydantic-ai/locations/global/publishers/google/models/gemini-3-flash-preview:streamGenerateContent?alt=sse',
      omit: ['generationConfig'],
      extra: ['generationConfig'],
    },
  ],
  answers: [
    { name: 'a Vertex text answer', raw: JSON.stringify(vertexText.response.body), expect: { text: 'The capital of France is Paris.\n', finishReason: 'stop', usage: usageOf(13, 8) } },
  ],
  streams: [
    { name: 'the recorded Vertex stream (text with a thought signature)', bytes: responseBytes('vertex', vertexStream), expect: { text: 'OK', finishReason: 'stop', usage: usageOf(5, 101), model: 'gemini-3-flash-preview' } },
  ],
  errors: [{ name: 'a 429 → 429', status: 429, raw: chunkJson('gemini', 'google-429-retry-info.json'), expect: { status: 429, code: 'rate_limit_exceeded' } }],
});

const call = (body: JsonObject, extra: Partial<WireCall> = {}): WireCall => ({
  op: 'chat',
  stream: false,
  upstreamModel: 'gemini-2.5-flash',
  connection: connection('gemini'),
  body: { model: 'gemini-2.5-flash', ...body },
  ...extra,
});

describe('gemini translation', () => {
  it('sends the thought signature of a function call back with it (carried in the tool call id)', () => {
    const answer = geminiWire.parseResponse(JSON.stringify(toolFirst.response.body), call({ messages: [] }));
    const toolCall = ((answer.body['choices'] as JsonObject[])[0]?.['message'] as { tool_calls: { id: string; function: { name: string; arguments: string } }[] }).tool_calls[0];
    expect(toolCall).toBeDefined();
    const next = JSON.parse(
      String(
        geminiWire.buildRequest(
          call({
            messages: [
              { role: 'user', content: "What's the weather in Paris?" },
              { role: 'assistant', content: null, tool_calls: [toolCall] },
              { role: 'tool', tool_call_id: toolCall?.id, content: 'Sunny, 22C in Paris' },
            ],
            tools: [weatherTool],
            tool_choice: 'auto',
          }),
        ).body,
      ),
    ) as { contents: JsonObject[] };
    const recorded = toolSecond.request.body as { contents: { parts: { thoughtSignature?: string; functionCall?: JsonObject }[] }[] };
    const recordedSignature = recorded.contents[1]?.parts[0]?.thoughtSignature ?? '';
    const sentPart = (next.contents[1] as { parts: { thoughtSignature: string; functionCall: JsonObject }[] }).parts[0];
    // The recording sent the signature base64url-encoded; the bytes are the same.
    expect(Buffer.from(sentPart?.thoughtSignature ?? '', 'base64')).toEqual(Buffer.from(recordedSignature, 'base64url'));
    expect(sentPart?.functionCall).toEqual({ name: 'get_weather', args: { city: 'Paris' } });
    expect(next.contents[2]).toEqual({ role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { content: 'Sunny, 22C in Paris' } } }] });
  });

  it('maps images, json_schema response format, stop, max tokens and a named tool choice', () => {
    const sent = JSON.parse(
      String(
        geminiWire.buildRequest(
          call({
            messages: [{ role: 'user', content: [{ type: 'text', text: 'what?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] }],
            response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } },
            stop: ['END'],
            max_completion_tokens: 99,
            tools: [weatherTool],
            tool_choice: { type: 'function', function: { name: 'get_weather' } },
          }),
        ).body,
      ),
    ) as JsonObject;
    expect(sent['contents']).toEqual([{ role: 'user', parts: [{ text: 'what?' }, { inlineData: { mimeType: 'image/png', data: 'AAAA' } }] }]);
    expect(sent['generationConfig']).toEqual({ maxOutputTokens: 99, stopSequences: ['END'], responseMimeType: 'application/json', responseJsonSchema: { type: 'object' } });
    expect(sent['toolConfig']).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } });
  });

  it('answers a blocked prompt (promptFeedback.blockReason) with a clear 400', () => {
    const raw = JSON.stringify({ promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 8, totalTokenCount: 8 } });
    expect(() => geminiWire.parseResponse(raw, call({ messages: [] }))).toThrow(/blocked the prompt \(blockReason SAFETY\)/);
    const decoder = geminiWire.createStreamDecoder(call({ messages: [] }, { stream: true }));
    expect(() => decoder.push(Buffer.from(`data: ${raw}\r\n\r\n`))).toThrow(/blocked the prompt/);
  });

  it('refuses a stream that closes without a finishReason', () => {
    const decoder = geminiWire.createStreamDecoder(call({ messages: [] }, { stream: true }));
    decoder.push(frameGemini(chunkLines('gemini', 'google-text.chunks.txt').slice(0, 1)));
    expect(() => decoder.end()).toThrow(/without a finishReason/);
  });

  it('rebuilds nested streamed arguments (objects inside arrays) from the recorded Vertex stream', () => {
    const decoder = vertexWire.createStreamDecoder({ ...call({ messages: [] }, { stream: true }), connection: connection('vertex', { project: 'p' }) });
    const bytes = frameGemini(chunkLines('vertex', 'google-vertex-stream-tool-call-arguments-nested.1.chunks.txt'));
    const chunks = [...decoder.push(bytes), ...decoder.end()];
    const answer = answerOfChunks(chunks);
    expect(answer.toolCalls).toHaveLength(1);
    expect(answer.toolCalls[0]?.name).toBe('cookRecipe');
    const args = JSON.parse(answer.toolCalls[0]?.arguments ?? '') as { recipe: { name: string; ingredients: { amount: string; name: string }[]; steps: string[] } };
    expect(args.recipe.name).toBe('Lasagna');
    expect(args.recipe.ingredients).toHaveLength(10);
    expect(args.recipe.ingredients[0]).toEqual({ amount: '16 oz', name: 'Lasagna noodles' });
    expect(args.recipe.steps[1]).toBe('Cook lasagna noodles according to package directions, drain and set aside.');
    expect(args.recipe.steps).toHaveLength(10);
    expect(decoder.usage()).toEqual(usageOf(31, 1710));
  });

  it('translates embeddings for the Gemini API and Vertex predict', () => {
    const embedCall = call({ input: ['a', 'b'], dimensions: 5 }, { op: 'embedding' });
    const request = geminiWire.buildRequest(embedCall);
    expect(request.path).toBe('/models/gemini-2.5-flash:batchEmbedContents');
    expect(JSON.parse(String(request.body))).toEqual({
      requests: [
        { model: 'models/gemini-2.5-flash', content: { parts: [{ text: 'a' }] }, outputDimensionality: 5 },
        { model: 'models/gemini-2.5-flash', content: { parts: [{ text: 'b' }] }, outputDimensionality: 5 },
      ],
    });
    const vertexCall = { ...embedCall, upstreamModel: 'text-embedding-005', connection: connection('vertex', { project: 'p', location: 'us-central1' }) };
    expect(vertexWire.buildRequest(vertexCall).path).toBe('/projects/p/locations/us-central1/publishers/google/models/text-embedding-005:predict');
    const result = vertexWire.parseResponse(chunkJson('vertex', 'google-vertex-embedding.json'), vertexCall);
    expect(result.usage).toEqual({ promptTokens: 11, completionTokens: 0, totalTokens: 11, cachedTokens: undefined });
    const data = result.body['data'] as { index: number; embedding: number[] }[];
    expect(data.map((entry) => entry.index)).toEqual([0, 1]);
    expect(data[1]?.embedding[0]).toBe(-0.06007182598114014);
  });
});
