// Bedrock Converse / ConverseStream wire against the recorded real traffic (fixtures/bedrock),
// including the binary event-stream split inside frame preludes and headers, and SigV4 signing.
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { describe, expect, it } from 'vitest';
import { bedrockWire } from '../../daemon/providers/bedrock/adapter.js';
import { profileFromIni, signBedrockRequest } from '../../daemon/providers/bedrock/auth.js';
import type { JsonObject } from '../../daemon/pipeline/context.js';
import { chunkJson, chunkLines, exchange, frameBedrock, responseBytes } from './fixtures.js';
import { connection, runWireConformance } from './conformance.js';

const NOVA = 'us.amazon.nova-micro-v1:0';
const text = exchange('bedrock', 'converse-text');
const streamText = exchange('bedrock', 'converse-stream-text');
const thinking = exchange('bedrock', 'converse-stream-thinking');
const toolFirst = exchange('bedrock', 'converse-tool-roundtrip', 0);
const toolSecond = exchange('bedrock', 'converse-tool-roundtrip', 1);
const streamTool1 = exchange('bedrock', 'converse-stream-tool-roundtrip', 0);
const streamTool2 = exchange('bedrock', 'converse-stream-tool-roundtrip', 1);

const codec = new EventStreamCodec(toUtf8, fromUtf8);
/** Independent oracle: decode a recorded event-stream in one piece and join its text deltas. */
function textOf(bytes: Buffer, field: 'text' | 'reasoning'): string {
  let out = '';
  for (let offset = 0; offset < bytes.length; ) {
    const length = bytes.readUInt32BE(offset);
    const message = codec.decode(bytes.subarray(offset, offset + length));
    offset += length;
    const payload = JSON.parse(toUtf8(message.body)) as { delta?: { text?: string; reasoningContent?: { text?: string } } };
    out += field === 'text' ? (payload.delta?.text ?? '') : (payload.delta?.reasoningContent?.text ?? '');
  }
  return out;
}

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Get the current weather for a city.',
    parameters: { additionalProperties: false, properties: { city: { type: 'string' } }, required: ['city'], type: 'object' },
  },
};
const geoTools = (streamTool1.request.body as { toolConfig: { tools: { toolSpec: { name: string; description: string; inputSchema: { json: JsonObject } } }[] } }).toolConfig.tools.map(
  ({ toolSpec }) => ({ type: 'function', function: { name: toolSpec.name, description: toolSpec.description, parameters: toolSpec.inputSchema.json } }),
);
const usageOf = (prompt: number, completion: number) => ({ promptTokens: prompt, completionTokens: completion, totalTokens: prompt + completion, cachedTokens: 0 });
const streamTextBytes = responseBytes('bedrock', streamText);
const thinkingBytes = responseBytes('bedrock', thinking);
const tool1Bytes = responseBytes('bedrock', streamTool1);
const tool2Bytes = responseBytes('bedrock', streamTool2);

runWireConformance({
  name: 'bedrock',
  wire: bedrockWire,
  connection: connection('bedrock', { region: 'us-east-1' }),
  upstreamModel: NOVA,
  requests: [
    {
      name: 'system and one user turn (Converse)',
      call: { body: { messages: [{ role: 'system', content: 'You are a chatbot.' }, { role: 'user', content: 'Hello!' }] } },
      recorded: text.request.body,
      path: '/model/us.amazon.nova-micro-v1%3A0/converse',
    },
    {
      name: 'temperature 0, streamed (ConverseStream)',
      call: { body: { messages: [{ role: 'system', content: 'You are a helpful chatbot.' }, { role: 'user', content: 'What is the capital of France?' }], temperature: 0, stream: true } },
      recorded: streamText.request.body,
      path: '/model/us.amazon.nova-micro-v1%3A0/converse-stream',
    },
    {
      name: 'a function tool with tool_choice auto',
      call: { upstreamModel: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', body: { messages: [{ role: 'user', content: "What's the weather in Paris?" }], tools: [weatherTool], tool_choice: 'auto' } },
      recorded: toolFirst.request.body,
    },
    {
      name: 'the tool result turn (toolUse / toolResult)',
      call: {
        upstreamModel: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
        body: {
          messages: [
            { role: 'user', content: "What's the weather in Paris?" },
            { role: 'assistant', content: null, tool_calls: [{ id: 'tooluse_XjTErzm6TpyMMpDviNVY3g', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
            { role: 'tool', tool_call_id: 'tooluse_XjTErzm6TpyMMpDviNVY3g', content: 'Sunny, 22C in Paris' },
          ],
          tools: [weatherTool],
          tool_choice: 'auto',
        },
      },
      recorded: toolSecond.request.body,
    },
    {
      name: 'assistant text plus a tool call, top_p, tools without a choice (streamed)',
      call: {
        body: {
          messages: [
            { role: 'system', content: 'You are a helpful chatbot.' },
            { role: 'user', content: 'What is the temperature of the capital of France?' },
            {
              role: 'assistant',
              content:
                '<thinking> To find the temperature of the capital of France, I need to first determine the capital of France and then get the current temperature in that city. The capital of France is Paris. I will use the "get_temperature" tool to find the current temperature in Paris.</thinking>\n',
              tool_calls: [{ id: 'tooluse_lAG_zP8QRHmSYOwZzzaCqA', type: 'function', function: { name: 'get_temperature', arguments: '{"city": "Paris"}' } }],
            },
            { role: 'tool', tool_call_id: 'tooluse_lAG_zP8QRHmSYOwZzzaCqA', content: '30°C' },
          ],
          top_p: 0.5,
          tools: geoTools,
          stream: true,
        },
      },
      recorded: streamTool2.request.body,
    },
    {
      name: 'reasoning_effort low on an Anthropic model → additionalModelRequestFields.thinking',
      call: { upstreamModel: 'us.anthropic.claude-sonnet-4-20250514-v1:0', body: { messages: [{ role: 'user', content: 'Hello' }], reasoning_effort: 'low', stream: true } },
      recorded: thinking.request.body,
    },
  ],
  answers: [
    {
      name: 'a text answer',
      raw: JSON.stringify(text.response.body),
      expect: { text: "Hello! How can I assist you today? Whether you have questions, need information, or just want to chat, I'm here to help.", finishReason: 'stop', usage: usageOf(7, 30), model: NOVA },
    },
    { name: 'a toolUse answer', raw: JSON.stringify(toolFirst.response.body), expect: { toolCalls: [{ id: 'tooluse_XjTErzm6TpyMMpDviNVY3g', name: 'get_weather', arguments: { city: 'Paris' } }], finishReason: 'tool_calls', usage: usageOf(572, 53) } },
    {
      name: 'the answer after the tool result',
      raw: JSON.stringify(toolSecond.response.body),
      expect: { text: "The weather in Paris is currently sunny with a temperature of 22°C (approximately 72°F). It's a beautiful day!", finishReason: 'stop', usage: usageOf(646, 31) },
    },
    {
      name: 'reasoning content plus text',
      raw: chunkJson('bedrock', 'amazon-bedrock-reasoning.json'),
      expect: { text: 'There are **3** r\'s in "strawberry":\n\n1. st**r**awbe**r****r**y', reasoning: 'Let me count the r\'s in "strawberry":\n\ns-t-r-a-w-b-e-r-r-y\n\nThere are 3 r\'s.', finishReason: 'stop', usage: usageOf(51, 78) },
    },
    { name: 'text and a tool call without arguments', raw: chunkJson('bedrock', 'amazon-bedrock-tool-no-args.json'), expect: { text: "I'll update the issue list for you.", toolCalls: [{ name: 'updateIssueList', arguments: {} }], finishReason: 'tool_calls', usage: usageOf(100, 25) } },
  ],
  streams: [
    { name: 'the recorded text stream', bytes: streamTextBytes, awsFrames: true, expect: { text: textOf(streamTextBytes, 'text'), finishReason: 'stop', usage: usageOf(13, 82) } },
    {
      name: 'the recorded thinking stream (reasoningContent deltas and signature)',
      bytes: thinkingBytes,
      awsFrames: true,
      expect: { text: textOf(thinkingBytes, 'text'), reasoning: textOf(thinkingBytes, 'reasoning'), finishReason: 'stop', usage: usageOf(36, 73) },
    },
    {
      name: 'the recorded text-then-toolUse stream',
      bytes: tool1Bytes,
      awsFrames: true,
      expect: { text: textOf(tool1Bytes, 'text'), toolCalls: [{ id: 'tooluse_lAG_zP8QRHmSYOwZzzaCqA', name: 'get_temperature', arguments: { city: 'Paris' } }], finishReason: 'tool_calls', usage: usageOf(471, 91) },
    },
    { name: 'the recorded answer after the tool result', bytes: tool2Bytes, awsFrames: true, expect: { text: textOf(tool2Bytes, 'text'), finishReason: 'stop', usage: usageOf(577, 18) } },
    {
      name: 'metadata before messageStop, tool input in fragments',
      bytes: frameBedrock(chunkLines('bedrock', 'amazon-bedrock-tool-call.1.chunks.txt')),
      awsFrames: true,
      expect: { toolCalls: [{ id: 'tool-use-id', name: 'test-tool', arguments: { value: 'Sparkle Day' } }], finishReason: 'tool_calls', usage: usageOf(125, 45) },
    },
    {
      name: 'a tool call with empty input gets "{}"',
      bytes: frameBedrock(chunkLines('bedrock', 'amazon-bedrock-tool-no-args.chunks.txt')),
      awsFrames: true,
      expect: { text: "I'll update the issue list for you.", toolCalls: [{ name: 'updateIssueList', arguments: {} }], finishReason: 'tool_calls', usage: usageOf(100, 25) },
    },
  ],
  errors: [
    { name: 'the recorded 400 (invalid model id) passes through', status: 400, raw: JSON.stringify(exchange('bedrock', 'error-400-converse').response.body), headers: { 'x-amzn-errortype': 'ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/' }, expect: { status: 400, code: 'upstream_rejected', message: /ValidationException: The provided model identifier is invalid/ } },
    { name: 'the recorded stream 400 passes through', status: 400, raw: JSON.stringify(exchange('bedrock', 'error-400-converse-stream').response.body), expect: { status: 400, code: 'upstream_rejected', message: /model identifier is invalid/ } },
    { name: 'a 403 (bad signature) is the gateway’s problem', status: 403, raw: '{"message":"The request signature we calculated does not match"}', expect: { status: 502, code: 'upstream_error' } },
  ],
  rejects: [
    { name: 'an image by URL (Converse takes bytes only)', body: { model: 'x', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }] }, expect: { code: 'unsupported_feature', param: 'messages[0].content[0].image_url.url' } },
  ],
});

const call = (body: JsonObject, stream = false) => ({ op: 'chat' as const, stream, upstreamModel: NOVA, connection: connection('bedrock'), body: { model: NOVA, ...body } });

describe('bedrock stream errors', () => {
  it('throws an exception frame (throttlingException) as a 429', () => {
    const frame = codec.encode({
      headers: { ':message-type': { type: 'string', value: 'exception' }, ':exception-type': { type: 'string', value: 'throttlingException' }, ':content-type': { type: 'string', value: 'application/json' } },
      body: fromUtf8('{"message":"Too many requests, please wait before trying again."}'),
    });
    const decoder = bedrockWire.createStreamDecoder(call({ messages: [] }, true));
    let thrown: unknown;
    try {
      decoder.push(frame);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
  });

  it('refuses a frame whose CRC does not match', () => {
    const bytes = Buffer.from(streamTextBytes.subarray(0, streamTextBytes.readUInt32BE(0)));
    bytes[bytes.length - 6] = (bytes[bytes.length - 6] as number) ^ 0xff;
    const decoder = bedrockWire.createStreamDecoder(call({ messages: [] }, true));
    expect(() => decoder.push(bytes)).toThrow(/corrupt event-stream frame/);
  });

  it('refuses a stream cut inside a frame', () => {
    const decoder = bedrockWire.createStreamDecoder(call({ messages: [] }, true));
    decoder.push(streamTextBytes.subarray(0, 100));
    expect(() => decoder.end()).toThrow(/inside an event-stream frame/);
  });
});

/** Independent SigV4 (AWS docs' algorithm, node:crypto only) to check the signer's output. */
function expectedSignature(args: { method: string; path: string; headers: Record<string, string>; body: string; secret: string; date: string; region: string }): string {
  const names = Object.keys(args.headers).map((name) => name.toLowerCase()).sort();
  const lower = Object.fromEntries(Object.entries(args.headers).map(([name, value]) => [name.toLowerCase(), value.trim()]));
  const canonicalPath = args.path.split('/').map((segment) => encodeURIComponent(segment)).join('/');
  const canonical = [args.method, canonicalPath, '', ...names.map((name) => `${name}:${lower[name]}`), '', names.join(';'), createHash('sha256').update(args.body).digest('hex')].join('\n');
  const day = args.date.slice(0, 8);
  const scope = `${day}/${args.region}/bedrock/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', args.date, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${args.secret}`).update(day).digest();
  for (const part of [args.region, 'bedrock', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(toSign).digest('hex');
}

describe('bedrock signing', () => {
  const build = () => bedrockWire.buildRequest(call({ messages: [{ role: 'user', content: 'hello' }] }));
  const url = new URL('https://bedrock-runtime.eu-west-1.amazonaws.com/model/us.amazon.nova-micro-v1%3A0/converse');

  it('signs with SigV4 from keychain/env secrets, region from the host, session token included', async () => {
    const conn = { ...connection('bedrock'), secrets: { 'options.access_key_id': 'AKIDEXAMPLE', 'options.secret_access_key': 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', 'options.session_token': 'SESSION' } };
    const request = build();
    const signed = await signBedrockRequest(request, url, conn);
    const auth = signed.headers['authorization'] ?? '';
    const date = signed.headers['x-amz-date'] ?? '';
    expect(auth).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/${date.slice(0, 8)}/eu-west-1/bedrock/aws4_request, SignedHeaders=`));
    expect(signed.headers['x-amz-security-token']).toBe('SESSION');
    const signedNames = /SignedHeaders=([^,]+)/.exec(auth)?.[1]?.split(';') ?? [];
    expect(signedNames).toContain('host');
    const headers: Record<string, string> = {};
    for (const name of signedNames) headers[name] = name === 'host' ? url.host : (signed.headers[name] as string);
    const signature = /Signature=([0-9a-f]+)/.exec(auth)?.[1];
    expect(signature).toBe(expectedSignature({ method: 'POST', path: url.pathname, headers, body: String(request.body), secret: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', date, region: 'eu-west-1' }));
  });

  it('reads keys from an AWS shared credentials profile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kagami-aws-'));
    const file = join(dir, 'credentials');
    writeFileSync(file, '[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s1\n\n[work]\naws_access_key_id=AKIDWORK\naws_secret_access_key=s2\naws_session_token=tok\n');
    expect(profileFromIni('[profile x]\naws_access_key_id=a\naws_secret_access_key=b', 'x')).toEqual({ accessKeyId: 'a', secretAccessKey: 'b' });
    const signed = await signBedrockRequest(build(), url, { ...connection('bedrock', { profile: 'work', credentials_file: file }) });
    expect(signed.headers['authorization']).toMatch(/Credential=AKIDWORK\//);
    expect(signed.headers['x-amz-security-token']).toBe('tok');
    await expect(signBedrockRequest(build(), url, connection('bedrock', { profile: 'nope', credentials_file: file }))).rejects.toThrow(/profile "nope"/);
  });

  it('sends a Bedrock API key as a bearer token instead of signing', async () => {
    const signed = await signBedrockRequest(build(), url, { ...connection('bedrock'), secrets: { api_key: 'bedrock-api-key' } });
    expect(signed.headers['authorization']).toBe('Bearer bedrock-api-key');
    expect(signed.headers['x-amz-date']).toBeUndefined();
  });
});

describe('bedrock extended thinking in tool loops', () => {
  it('sends no thinking on the turn answering tool results (the signed reasoning block cannot be sent back)', () => {
    const claude = 'us.anthropic.claude-sonnet-4-20250514-v1:0';
    const sent = (messages: JsonObject[]) =>
      JSON.parse(String(bedrockWire.buildRequest({ ...call({ messages, reasoning_effort: 'low' }), upstreamModel: claude }).body)) as JsonObject;
    const question = [{ role: 'user', content: 'Weather in Paris?' }];
    expect(sent(question)['additionalModelRequestFields']).toEqual({ thinking: { type: 'enabled', budget_tokens: 1024 } });
    const loop = [
      ...question,
      { role: 'assistant', content: null, tool_calls: [{ id: 'tooluse_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'tooluse_1', content: 'Sunny' },
    ];
    expect(sent(loop)['additionalModelRequestFields']).toBeUndefined();
  });
});
