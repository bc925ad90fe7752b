// The inbound × outbound matrix: the official `openai` package (chat, chat stream, Responses,
// Responses stream) and `@anthropic-ai/sdk` (messages, messages stream) as clients of the
// real daemon, each routed to each provider family (OpenAI-compatible, Anthropic, Bedrock,
// Gemini, Vertex AI) behind a loopback upstream that replays real recorded wire data
// (/work/shared/fixtures). Every cell runs a whole tool-calling conversation as the client
// would (call → tool result → answer) and checks
// - what the client's SDK parsed: tool calls (names, arguments), text, usage,
// - what the upstream received on the next turn: the tool result, tied to the call's id,
// - the audit rows: one per turn, with the recorded token counts and the configured price.
// Vertex has no recorded tool round trip: its cells run the recorded Vertex text exchanges,
// and a second Vertex row replays the Gemini API's tool round trips at the Vertex path (same
// answer schema). Vertex cells fetch their OAuth token from a local token endpoint.
import Anthropic, { APIError as AnthropicApiError } from '@anthropic-ai/sdk';
import OpenAI, { APIError as OpenAiApiError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditRow } from '../../shared/schemas/audit.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startReplayUpstream, type ReplayResponse, type ReplayUpstream } from '../support/replay-upstream.js';
import { chunkJson, chunkLines, exchange, frameAnthropic, recordedReplay } from './fixtures.js';
import { startTokenEndpoint, type TokenEndpoint } from './oauth-token-endpoint.js';

// ---- the conversations, per provider family, from the recordings ------------------------

interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

interface Turn {
  replay: ReplayResponse;
  text: string;
  toolCalls: { name: string; arguments: unknown }[];
  /** Token usage the provider recorded for this turn. */
  usage: { prompt: number; completion: number };
}

interface Conversation {
  system?: string;
  prompt: string;
  tools: ToolSpec[];
  /** What the client's tools return, by tool name. */
  results: Record<string, string>;
  turns: Turn[];
}

interface Family {
  name: string;
  /** Provider connection as in the config file (base_url is set per test). */
  provider: (origin: string, tokenUrl: string) => Record<string, unknown>;
  env: (serviceAccount: string) => Record<string, string>;
  /** Whether tool-call ids travel to the provider (Gemini matches results by name). */
  providerIds: boolean;
  json: Conversation;
  stream: Conversation;
}

function replayOf(provider: string, name: string, index: number): ReplayResponse {
  // Streams come in odd-sized pieces, so every decoder also sees events cut across reads.
  const streamed = exchange(provider, name, index).response.bodyFile !== undefined;
  return recordedReplay(provider, name, index, streamed ? [7, 64, 3, 1500] : undefined);
}

function anthropicChunksReplay(file: string): ReplayResponse {
  return { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' }, body: frameAnthropic(chunkLines('anthropic', file)), pieces: [5, 200, 1] };
}

const emptyObject = { additionalProperties: false, properties: {}, type: 'object' };
const cityCountry = { properties: { city: { type: 'string' }, country: { type: 'string' } }, required: ['city', 'country'], type: 'object' };
const userCountryTools: ToolSpec[] = [
  { name: 'get_user_country', description: '', parameters: emptyObject },
  { name: 'final_result', description: 'The final response which ends this conversation', parameters: cityCountry },
];
const weatherTools: ToolSpec[] = [
  { name: 'get_weather', description: 'Get the current weather for a city.', parameters: { additionalProperties: false, properties: { city: { type: 'string' } }, required: ['city'], type: 'object' } },
];
const geoTools: ToolSpec[] = [
  { name: 'get_capital', description: 'Get the capital of a country.', parameters: { properties: { country: { description: 'The country name.', type: 'string' } }, required: ['country'], type: 'object' } },
  { name: 'get_temperature', description: 'Get the temperature in a city.', parameters: { properties: { city: { description: 'The city name.', type: 'string' } }, required: ['city'], type: 'object' } },
];

const bedrockThinking =
  '<thinking> To find the temperature of the capital of France, I need to first determine the capital of France and then get the current temperature in that city. The capital of France is Paris. I will use the "get_temperature" tool to find the current temperature in Paris.</thinking>\n';

/** The Gemini API's recorded tool round trips (used by the Gemini row and a Vertex row). */
const GEMINI_TOOL_CONVERSATIONS: Pick<Family, 'json' | 'stream'> = {
  json: {
    prompt: "What's the weather in Paris?",
    tools: weatherTools,
    results: { get_weather: 'Sunny, 22C in Paris' },
    turns: [
      // Gemini counts thinking tokens separately; they are billed as output (15 + 48).
      { replay: replayOf('gemini', 'generate-content-tool-roundtrip', 0), text: '', toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }], usage: { prompt: 49, completion: 63 } },
      { replay: replayOf('gemini', 'generate-content-tool-roundtrip', 1), text: 'The weather in Paris is sunny with a temperature of 22C.', toolCalls: [], usage: { prompt: 88, completion: 15 } },
    ],
  },
  stream: {
    system: 'You are a helpful chatbot.',
    prompt: 'What is the temperature of the capital of France?',
    tools: geoTools,
    results: { get_capital: 'Paris', get_temperature: '30°C' },
    turns: [
      { replay: replayOf('gemini', 'stream-generate-content-tool-roundtrip', 0), text: '', toolCalls: [{ name: 'get_capital', arguments: { country: 'France' } }], usage: { prompt: 52, completion: 5 } },
      { replay: replayOf('gemini', 'stream-generate-content-tool-roundtrip', 1), text: '', toolCalls: [{ name: 'get_temperature', arguments: { city: 'Paris' } }], usage: { prompt: 64, completion: 5 } },
      { replay: replayOf('gemini', 'stream-generate-content-tool-roundtrip', 2), text: 'The temperature in Paris is 30°C.\n', toolCalls: [], usage: { prompt: 79, completion: 12 } },
    ],
  },
};

/** A Vertex connection whose OAuth token comes from the local token endpoint. */
const VERTEX_CONNECTION: Pick<Family, 'provider' | 'env' | 'providerIds'> = {
  provider: (origin, tokenUrl) => ({
    id: 'up',
    type: 'vertex',
    base_url: `${origin}/v1`,
    api_key: { env: 'VERTEX_SERVICE_ACCOUNT' },
    options: { project: 'kagami-test-project', location: 'us-central1', token_url: tokenUrl },
  }),
  env: (serviceAccount) => ({ VERTEX_SERVICE_ACCOUNT: serviceAccount }),
  providerIds: false,
};

const FAMILIES: Family[] = [
  {
    name: 'openai-compatible',
    provider: (origin) => ({ id: 'up', type: 'openai', base_url: `${origin}/v1`, api_key: { env: 'UP_KEY' } }),
    env: () => ({ UP_KEY: 'sk-upstream-secret' }),
    providerIds: true,
    json: {
      prompt: 'What is the largest city in the user country?',
      tools: userCountryTools,
      results: { get_user_country: 'Mexico' },
      turns: [
        { replay: replayOf('openai', 'chat-tool-roundtrip', 0), text: '', toolCalls: [{ name: 'get_user_country', arguments: {} }], usage: { prompt: 68, completion: 12 } },
        { replay: replayOf('openai', 'chat-tool-roundtrip', 1), text: '', toolCalls: [{ name: 'final_result', arguments: { city: 'Mexico City', country: 'Mexico' } }], usage: { prompt: 89, completion: 36 } },
      ],
    },
    stream: {
      prompt: 'What is the capital of the UK? Use the tool, then answer.',
      tools: [{ name: 'get_capital', description: '', parameters: { additionalProperties: false, properties: { country: { type: 'string' } }, required: ['country'], type: 'object' } }],
      results: { get_capital: 'London' },
      turns: [
        { replay: replayOf('openai', 'chat-stream-tool-roundtrip', 0), text: '', toolCalls: [{ name: 'get_capital', arguments: { country: 'UK' } }], usage: { prompt: 53, completion: 15 } },
        { replay: replayOf('openai', 'chat-stream-tool-roundtrip', 1), text: 'The capital of the UK is London.', toolCalls: [], usage: { prompt: 78, completion: 9 } },
      ],
    },
  },
  {
    name: 'anthropic',
    provider: (origin) => ({ id: 'up', type: 'anthropic', base_url: `${origin}/v1`, api_key: { env: 'UP_KEY' } }),
    env: () => ({ UP_KEY: 'sk-ant-upstream-secret' }),
    providerIds: true,
    json: {
      prompt: 'What is the largest city in the user country?',
      tools: userCountryTools,
      results: { get_user_country: 'Mexico' },
      turns: [
        { replay: replayOf('anthropic', 'messages-tool-roundtrip', 0), text: '', toolCalls: [{ name: 'get_user_country', arguments: {} }], usage: { prompt: 445, completion: 23 } },
        { replay: replayOf('anthropic', 'messages-tool-roundtrip', 1), text: '', toolCalls: [{ name: 'final_result', arguments: { city: 'Mexico City', country: 'Mexico' } }], usage: { prompt: 497, completion: 56 } },
      ],
    },
    // No recorded streamed tool round trip: a recorded streamed tool call (vercel/ai's
    // anthropic-tool-no-args) followed by a recorded streamed text answer (pydantic-ai's
    // messages-stream-text). Two real streams, from two different conversations.
    stream: {
      prompt: 'Update the issue list.',
      tools: [{ name: 'updateIssueList', description: 'Update the issue list', parameters: { type: 'object', properties: {} } }],
      results: { updateIssueList: 'done' },
      turns: [
        { replay: anthropicChunksReplay('anthropic-tool-no-args.chunks.txt'), text: "I'll update the issue list for you.", toolCalls: [{ name: 'updateIssueList', arguments: {} }], usage: { prompt: 565, completion: 48 } },
        { replay: replayOf('anthropic', 'messages-stream-text', 0), text: '2', toolCalls: [], usage: { prompt: 20, completion: 5 } },
      ],
    },
  },
  {
    name: 'bedrock',
    provider: (origin) => ({
      id: 'up',
      type: 'bedrock',
      base_url: origin,
      options: { region: 'us-east-1', access_key_id: { env: 'AWS_KEY_ID' }, secret_access_key: { env: 'AWS_SECRET' } },
    }),
    env: () => ({ AWS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }),
    providerIds: true,
    json: {
      prompt: "What's the weather in Paris?",
      tools: weatherTools,
      results: { get_weather: 'Sunny, 22C in Paris' },
      turns: [
        { replay: replayOf('bedrock', 'converse-tool-roundtrip', 0), text: '', toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }], usage: { prompt: 572, completion: 53 } },
        {
          replay: replayOf('bedrock', 'converse-tool-roundtrip', 1),
          text: "The weather in Paris is currently sunny with a temperature of 22°C (approximately 72°F). It's a beautiful day!",
          toolCalls: [],
          usage: { prompt: 646, completion: 31 },
        },
      ],
    },
    stream: {
      system: 'You are a helpful chatbot.',
      prompt: 'What is the temperature of the capital of France?',
      tools: geoTools,
      results: { get_temperature: '30°C' },
      turns: [
        { replay: replayOf('bedrock', 'converse-stream-tool-roundtrip', 0), text: bedrockThinking, toolCalls: [{ name: 'get_temperature', arguments: { city: 'Paris' } }], usage: { prompt: 471, completion: 91 } },
        { replay: replayOf('bedrock', 'converse-stream-tool-roundtrip', 1), text: 'The current temperature in Paris, the capital of France, is 30°C.', toolCalls: [], usage: { prompt: 577, completion: 18 } },
      ],
    },
  },
  {
    name: 'gemini',
    provider: (origin) => ({ id: 'up', type: 'gemini', base_url: `${origin}/v1beta`, api_key: { env: 'UP_KEY' } }),
    env: () => ({ UP_KEY: 'gemini-upstream-key' }),
    providerIds: false,
    ...GEMINI_TOOL_CONVERSATIONS,
  },
  {
    // Vertex answers in the Gemini API's generateContent schema; there is no recorded Vertex
    // tool round trip, so these cells serve the recorded Gemini API tool round trips at the
    // Vertex path (URL, OAuth and model path are Vertex's).
    name: 'vertex (Gemini API tool recordings)',
    ...VERTEX_CONNECTION,
    ...GEMINI_TOOL_CONVERSATIONS,
  },
  {
    name: 'vertex',
    ...VERTEX_CONNECTION,
    json: {
      system: 'You are a helpful chatbot.',
      prompt: 'What is the capital of France?',
      tools: [],
      results: {},
      turns: [{ replay: replayOf('vertex', 'generate-content-vertex', 0), text: 'The capital of France is Paris.\n', toolCalls: [], usage: { prompt: 13, completion: 8 } }],
    },
    stream: {
      prompt: 'Reply with exactly: OK',
      tools: [],
      results: {},
      // 1 output token + 100 thinking tokens.
      turns: [{ replay: replayOf('vertex', 'stream-generate-content-vertex', 0), text: 'OK', toolCalls: [], usage: { prompt: 5, completion: 101 } }],
    },
  },
];

// ---- the clients: one driver per inbound surface, each using its official SDK as documented

interface ClientTurn {
  text: string;
  toolCalls: { id: string; name: string; arguments: unknown }[];
  usage: { prompt: number; completion: number };
}

interface Surface {
  name: string;
  api: string;
  stream: boolean;
  run(gateway: TestGateway, conversation: Conversation): Promise<ClientTurn[]>;
}

function parseArgs(text: string): unknown {
  return JSON.parse(text === '' ? '{}' : text) as unknown;
}

function resultFor(conversation: Conversation, name: string): string {
  const result = conversation.results[name];
  if (result === undefined) throw new Error(`no recorded result for tool ${name}`);
  return result;
}

function openai(gateway: TestGateway): OpenAI {
  return new OpenAI({ apiKey: gateway.apiKey, baseURL: gateway.baseURL, maxRetries: 0 });
}

function anthropic(gateway: TestGateway): Anthropic {
  return new Anthropic({ apiKey: gateway.apiKey, baseURL: gateway.origin, maxRetries: 0 });
}

async function runChat(gateway: TestGateway, conversation: Conversation, stream: boolean): Promise<ClientTurn[]> {
  const client = openai(gateway);
  const messages: OpenAI.ChatCompletionMessageParam[] = [];
  if (conversation.system !== undefined) messages.push({ role: 'system', content: conversation.system });
  messages.push({ role: 'user', content: conversation.prompt });
  const tools = conversation.tools.map((tool): OpenAI.ChatCompletionTool => ({ type: 'function', function: tool }));
  const turns: ClientTurn[] = [];
  for (let i = 0; i < conversation.turns.length; i++) {
    const params = { model: 'matrix-model', messages, ...(tools.length > 0 ? { tools } : {}) };
    const completion = stream
      ? await client.chat.completions.stream({ ...params, stream_options: { include_usage: true } }).finalChatCompletion()
      : await client.chat.completions.create(params);
    const message = completion.choices[0]?.message;
    const calls = (message?.tool_calls ?? []).flatMap((call) => (call.type === 'function' ? [call] : []));
    turns.push({
      text: message?.content ?? '',
      toolCalls: calls.map((call) => ({ id: call.id, name: call.function.name, arguments: parseArgs(call.function.arguments) })),
      usage: { prompt: completion.usage?.prompt_tokens ?? -1, completion: completion.usage?.completion_tokens ?? -1 },
    });
    if (i + 1 === conversation.turns.length) break;
    messages.push({ role: 'assistant', content: message?.content ?? null, ...(calls.length > 0 ? { tool_calls: calls } : {}) });
    for (const call of calls) messages.push({ role: 'tool', tool_call_id: call.id, content: resultFor(conversation, call.function.name) });
  }
  return turns;
}

async function runResponses(gateway: TestGateway, conversation: Conversation, stream: boolean): Promise<ClientTurn[]> {
  const client = openai(gateway);
  const input: OpenAI.Responses.ResponseInputItem[] = [{ role: 'user', content: conversation.prompt }];
  const tools = conversation.tools.map((tool): OpenAI.Responses.FunctionTool => ({ type: 'function', strict: false, ...tool }));
  const turns: ClientTurn[] = [];
  for (let i = 0; i < conversation.turns.length; i++) {
    const params = { model: 'matrix-model', input, store: false, ...(conversation.system === undefined ? {} : { instructions: conversation.system }), ...(tools.length > 0 ? { tools } : {}) };
    let response: OpenAI.Responses.Response;
    if (stream) {
      const events = client.responses.stream(params);
      const sequence: number[] = [];
      for await (const event of events) sequence.push(event.sequence_number);
      expect(sequence).toEqual(sequence.map((_, k) => k));
      response = await events.finalResponse();
    } else {
      response = await client.responses.create(params);
    }
    const calls = response.output.flatMap((item) => (item.type === 'function_call' ? [item] : []));
    turns.push({
      text: response.output_text,
      toolCalls: calls.map((call) => ({ id: call.call_id, name: call.name, arguments: parseArgs(call.arguments) })),
      usage: { prompt: response.usage?.input_tokens ?? -1, completion: response.usage?.output_tokens ?? -1 },
    });
    if (i + 1 === conversation.turns.length) break;
    // The stateless way: send back what the model produced, then the tool outputs.
    input.push(...(response.output as OpenAI.Responses.ResponseInputItem[]));
    for (const call of calls) input.push({ type: 'function_call_output', call_id: call.call_id, output: resultFor(conversation, call.name) });
  }
  return turns;
}

async function runMessages(gateway: TestGateway, conversation: Conversation, stream: boolean): Promise<ClientTurn[]> {
  const client = anthropic(gateway);
  const messages: Anthropic.MessageParam[] = [{ role: 'user', content: conversation.prompt }];
  const tools = conversation.tools.map((tool): Anthropic.Tool => ({ name: tool.name, description: tool.description, input_schema: tool.parameters as Anthropic.Tool.InputSchema }));
  const turns: ClientTurn[] = [];
  for (let i = 0; i < conversation.turns.length; i++) {
    const params = { model: 'matrix-model', max_tokens: 4096, messages, ...(conversation.system === undefined ? {} : { system: conversation.system }), ...(tools.length > 0 ? { tools } : {}) };
    const message = stream ? await client.messages.stream(params).finalMessage() : await client.messages.create(params);
    const calls = message.content.flatMap((block) => (block.type === 'tool_use' ? [block] : []));
    turns.push({
      text: message.content.map((block) => (block.type === 'text' ? block.text : '')).join(''),
      toolCalls: calls.map((call) => ({ id: call.id, name: call.name, arguments: call.input })),
      usage: { prompt: message.usage.input_tokens + (message.usage.cache_read_input_tokens ?? 0), completion: message.usage.output_tokens },
    });
    if (i + 1 === conversation.turns.length) break;
    messages.push({ role: 'assistant', content: message.content });
    if (calls.length > 0) messages.push({ role: 'user', content: calls.map((call) => ({ type: 'tool_result' as const, tool_use_id: call.id, content: resultFor(conversation, call.name) })) });
  }
  return turns;
}

const SURFACES: Surface[] = [
  { name: 'openai chat', api: 'openai.chat', stream: false, run: (g, c) => runChat(g, c, false) },
  { name: 'openai chat stream', api: 'openai.chat', stream: true, run: (g, c) => runChat(g, c, true) },
  { name: 'openai responses', api: 'openai.responses', stream: false, run: (g, c) => runResponses(g, c, false) },
  { name: 'openai responses stream', api: 'openai.responses', stream: true, run: (g, c) => runResponses(g, c, true) },
  { name: 'anthropic messages', api: 'anthropic.messages', stream: false, run: (g, c) => runMessages(g, c, false) },
  { name: 'anthropic messages stream', api: 'anthropic.messages', stream: true, run: (g, c) => runMessages(g, c, true) },
];

// ---- the matrix -------------------------------------------------------------------------

const PRICE = { input_per_1m: 3, output_per_1m: 15 };

let upstream: ReplayUpstream | undefined;
let gateway: TestGateway | undefined;
let tokens: TokenEndpoint | undefined;

afterEach(async () => {
  await gateway?.close();
  await upstream?.close();
  await tokens?.close();
  gateway = upstream = tokens = undefined;
});

describe('every inbound surface reaches every provider family', () => {
  for (const family of FAMILIES) {
    describe(family.name, () => {
      for (const surface of SURFACES) {
        it(`${surface.name}: a tool-calling conversation with the right usage and cost in the audit rows`, async () => {
          const conversation = surface.stream ? family.stream : family.json;
          tokens = await startTokenEndpoint();
          upstream = await startReplayUpstream(conversation.turns.map((turn) => turn.replay));
          gateway = await startGateway({
            config: {
              providers: [family.provider(upstream.origin, tokens.url)],
              models: [{ name: 'matrix-model', provider: 'up', model: 'recorded-model', capabilities: { chat: true, tools: true }, price: PRICE }],
            },
            env: family.env(tokens.serviceAccountJson),
          });

          const turns = await surface.run(gateway, conversation);

          // What the client's SDK read.
          expect(turns.map(({ text, toolCalls, usage }) => ({ text, toolCalls: toolCalls.map(({ name, arguments: args }) => ({ name, arguments: args })), usage }))).toEqual(
            conversation.turns.map(({ text, toolCalls, usage }) => ({ text, toolCalls, usage })),
          );
          for (const turn of turns) for (const call of turn.toolCalls) expect(call.id).not.toBe('');

          // Each tool result reached the provider in the next turn, tied to its call.
          expect(upstream.received).toHaveLength(conversation.turns.length);
          for (let i = 1; i < turns.length; i++) {
            const sent = upstream.received[i]?.raw.toString('utf8') ?? '';
            for (const call of turns[i - 1]?.toolCalls ?? []) {
              expect(sent).toContain(JSON.stringify(resultFor(conversation, call.name)).slice(1, -1));
              if (family.providerIds) expect(sent).toContain(call.id);
            }
          }

          // One audit row per turn, with the provider's token counts and the configured price.
          const rows = gateway.auditRows();
          expect(rows.map((row: AuditRow) => ({ api: row.api, provider: row.provider, upstream_model: row.upstream_model, status: row.status, stream: row.stream, error_code: row.error_code }))).toEqual(
            conversation.turns.map(() => ({ api: surface.api, provider: 'up', upstream_model: 'recorded-model', status: 200, stream: surface.stream, error_code: null })),
          );
          rows.forEach((row, i) => {
            const usage = conversation.turns[i]?.usage ?? { prompt: NaN, completion: NaN };
            expect({ prompt: row.prompt_tokens, completion: row.completion_tokens, total: row.total_tokens }).toEqual({ prompt: usage.prompt, completion: usage.completion, total: usage.prompt + usage.completion });
            expect(row.cost_usd).toBeCloseTo((usage.prompt * PRICE.input_per_1m + usage.completion * PRICE.output_per_1m) / 1e6, 12);
            expect(row.response_sha256).toMatch(/^[0-9a-f]{64}$/);
          });

          if (family.name.startsWith('vertex')) {
            // google-auth-library fetched one token from the local endpoint and reused it.
            expect(tokens.issued).toEqual(['ya29.test-token-1']);
            for (const received of upstream.received) {
              expect(received.headers.authorization).toBe('Bearer ya29.test-token-1');
              expect(received.url).toMatch(/^\/v1\/projects\/kagami-test-project\/locations\/us-central1\/publishers\/google\/models\/recorded-model:(generateContent|streamGenerateContent\?alt=sse)$/);
            }
          }
          if (family.name === 'anthropic') {
            // Prompt-cache breakpoints are placed for every client surface (prompt_caching defaults on).
            for (const received of upstream.received) expect(received.raw.toString('utf8')).toContain('"cache_control":{"type":"ephemeral"}');
          }
          if (family.name === 'bedrock') {
            for (const received of upstream.received) {
              expect(received.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/bedrock\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/);
            }
          }
        });
      }
    });
  }
});

// ---- recorded provider errors reach every client as its own SDK's error ------------------

interface RecordedError {
  family: string;
  replay: () => ReplayResponse;
  status: number;
  message: RegExp;
  headers?: Record<string, string>;
}

const ERRORS: RecordedError[] = [
  { family: 'openai-compatible', replay: () => replayOf('openai', 'error-400-unsupported-value', 0), status: 400, message: /does not support 'system' with this model/ },
  { family: 'anthropic', replay: () => replayOf('anthropic', 'error-400-invalid-request', 0), status: 400, message: /does not support effort level 'xhigh'/ },
  { family: 'bedrock', replay: () => replayOf('bedrock', 'error-400-converse', 0), status: 400, message: /The provided model identifier is invalid/ },
  {
    family: 'gemini',
    replay: () => ({ status: 429, headers: { 'content-type': 'application/json; charset=UTF-8' }, body: Buffer.from(chunkJson('gemini', 'google-429-retry-info.json')) }),
    status: 429,
    message: /RESOURCE_EXHAUSTED: You exceeded your current quota/,
    headers: { 'retry-after': '35' },
  },
];

describe('recorded provider errors reach every client as its own SDK error, with the right status', () => {
  for (const recorded of ERRORS) {
    const family = FAMILIES.find((candidate) => candidate.name === recorded.family) as Family;
    for (const surface of SURFACES) {
      it(`${recorded.family} ${recorded.status} → ${surface.name}`, async () => {
        upstream = await startReplayUpstream([recorded.replay()]);
        gateway = await startGateway({
          config: { providers: [family.provider(upstream.origin, 'http://127.0.0.1:1/token')], models: [{ name: 'matrix-model', provider: 'up', model: 'recorded-model', capabilities: { chat: true } }] },
          env: family.env('{}'),
        });
        const conversation: Conversation = { prompt: 'hi', tools: [], results: {}, turns: [{ replay: recorded.replay(), text: '', toolCalls: [], usage: { prompt: 0, completion: 0 } }] };
        const error = (await surface.run(gateway, conversation).catch((caught: unknown) => caught)) as OpenAiApiError | AnthropicApiError;
        expect(error).toBeInstanceOf(surface.api === 'anthropic.messages' ? AnthropicApiError : OpenAiApiError);
        expect(error.status).toBe(recorded.status);
        expect(error.message).toMatch(recorded.message);
        for (const [name, value] of Object.entries(recorded.headers ?? {})) expect(error.headers?.get(name)).toBe(value);
        expect(gateway.auditRows().map((row) => [row.api, row.status, row.error_code === null])).toEqual([[surface.api, recorded.status, false]]);
      });
    }
  }

  it('vertex: a service account the token endpoint refuses → 502 naming the OAuth failure, nothing sent upstream', async () => {
    tokens = await startTokenEndpoint();
    const other = await startTokenEndpoint(); // a different key: its assertions fail verification
    upstream = await startReplayUpstream([]);
    const family = FAMILIES.find((candidate) => candidate.name === 'vertex') as Family;
    gateway = await startGateway({
      config: { providers: [family.provider(upstream.origin, tokens.url)], models: [{ name: 'matrix-model', provider: 'up', model: 'recorded-model', capabilities: { chat: true } }] },
      env: family.env(other.serviceAccountJson),
    });
    await other.close();
    await expect(openai(gateway).chat.completions.create({ model: 'matrix-model', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({
      status: 502,
      message: expect.stringMatching(/vertex connection "up": could not get an OAuth token .*invalid_grant/),
    });
    expect(tokens.issued).toEqual([]);
    expect(upstream.received).toHaveLength(0);
  });
});
