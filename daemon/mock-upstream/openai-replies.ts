// What the simulator answers: OpenAI-shaped bodies and stream chunks, framed the way
// api.openai.com frames them (compare /work/shared/fixtures/openai/wire/*.sse): a role chunk,
// content or tool-call delta chunks, a finish chunk, and with stream_options.include_usage a
// final chunk with empty choices and the usage, every earlier chunk carrying "usage":null.
import { createHash, randomBytes } from 'node:crypto';

export type Json = Record<string, unknown>;

/** How replies are shaped; every field is a simulator knob. */
export interface ReplyShape {
  /** The assistant text (split into chunks); ignored when chunkSize is set (unless echo). */
  readonly reply: string;
  /** Reply with the last user message instead of `reply`. */
  readonly echo: boolean;
  /** Number of content chunks; default: one per word of the reply. */
  readonly chunkCount: number | null;
  /**
   * Characters per content chunk; with chunkCount gives a reply of chunkCount × chunkSize chars.
   * With echo, the echoed text is cut into chunks of this size instead (chunkCount not used).
   */
  readonly chunkSize: number | null;
  /** Answer requests that offer tools with a tool call (unless the last message is a tool result). */
  readonly toolCalls: boolean;
  /** Embedding length when the request does not ask for `dimensions`. */
  readonly embeddingDimensions: number;
}

const FINGERPRINT = 'fp_kagamisim';

export function newId(prefix: string): string {
  return `${prefix}-${randomBytes(12).toString('base64url')}`;
}

function estimateTokens(value: unknown): number {
  return Math.max(1, Math.ceil(JSON.stringify(value ?? '').length / 4));
}

function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i] as Json | undefined;
    if (message?.role !== 'user') continue;
    if (typeof message.content === 'string') return message.content;
    if (Array.isArray(message.content)) {
      return message.content
        .map((part: Json) => (part?.type === 'text' && typeof part.text === 'string' ? part.text : ''))
        .join('');
    }
  }
  return '';
}

/** The content pieces for one reply, by the knobs. */
export function splitReply(shape: ReplyShape, text: string): string[] {
  if (shape.chunkSize !== null && shape.echo) {
    const size = shape.chunkSize;
    return Array.from({ length: Math.max(1, Math.ceil(text.length / size)) }, (_, i) => text.slice(i * size, (i + 1) * size));
  }
  if (shape.chunkSize !== null) {
    const count = shape.chunkCount ?? 8;
    const piece = 'lorem ipsum dolor sit amet '.repeat(Math.ceil(shape.chunkSize / 27) + 1).slice(0, shape.chunkSize);
    return Array.from({ length: count }, () => piece);
  }
  if (shape.chunkCount !== null) {
    const count = Math.max(1, shape.chunkCount);
    const size = Math.ceil(text.length / count) || 1;
    const pieces: string[] = [];
    for (let i = 0; i < count; i++) pieces.push(text.slice(i * size, (i + 1) * size));
    return pieces;
  }
  return text.match(/\s*\S+/g) ?? [text];
}

interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** The tool call the simulator makes, or null when it should answer with text. */
export function chooseToolCall(shape: ReplyShape, body: Json): ToolCall | null {
  if (!shape.toolCalls || !Array.isArray(body.tools) || body.tools.length === 0) return null;
  if (body.tool_choice === 'none') return null;
  const messages = Array.isArray(body.messages) ? body.messages : [];
  if ((messages[messages.length - 1] as Json | undefined)?.role === 'tool') return null;
  const wanted = (body.tool_choice as Json | undefined)?.function as Json | undefined;
  const tools = body.tools as Json[];
  const tool = (tools.find((t) => (t.function as Json | undefined)?.name === wanted?.name) ?? tools[0]) as Json;
  const fn = (tool.function ?? {}) as Json;
  const properties = ((fn.parameters as Json | undefined)?.properties ?? {}) as Record<string, Json>;
  const args: Json = {};
  for (const [key, schema] of Object.entries(properties)) {
    args[key] = schema.type === 'number' || schema.type === 'integer' ? 1 : schema.type === 'boolean' ? true : 'example';
  }
  return { id: `call_${randomBytes(12).toString('base64url')}`, name: String(fn.name ?? 'tool'), arguments: JSON.stringify(args) };
}

export function replyText(shape: ReplyShape, body: Json): string {
  return shape.echo ? lastUserText(body.messages) : shape.reply;
}

function chatUsage(promptTokens: number, completionTokens: number): Json {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

export function chatCompletion(shape: ReplyShape, body: Json): Json {
  const toolCall = chooseToolCall(shape, body);
  const pieces = toolCall ? [] : splitReply(shape, replyText(shape, body));
  const message: Json = toolCall
    ? {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: toolCall.id, type: 'function', function: { name: toolCall.name, arguments: toolCall.arguments } }],
        refusal: null,
        annotations: [],
      }
    : { role: 'assistant', content: pieces.join(''), refusal: null, annotations: [] };
  return {
    id: newId('chatcmpl'),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: String(body.model),
    choices: [{ index: 0, message, logprobs: null, finish_reason: toolCall ? 'tool_calls' : 'stop' }],
    usage: chatUsage(estimateTokens(body.messages), toolCall ? estimateTokens(toolCall.arguments) : pieces.length),
    service_tier: 'default',
    system_fingerprint: FINGERPRINT,
  };
}

/** The SSE frames (`data: …\n\n`) of a streamed chat completion, `[DONE]` included. */
export function chatCompletionFrames(shape: ReplyShape, body: Json): string[] {
  const includeUsage = (body.stream_options as Json | undefined)?.include_usage === true;
  const id = newId('chatcmpl');
  const head = `{"id":"${id}","object":"chat.completion.chunk","created":${Math.floor(Date.now() / 1000)},"model":${JSON.stringify(String(body.model))},"service_tier":"default","system_fingerprint":"${FINGERPRINT}","choices":`;
  const tail = includeUsage ? ',"usage":null}' : '}';
  const frame = (choice: Json): string => `data: ${head}[${JSON.stringify(choice)}]${tail}\n\n`;
  const frames: string[] = [];
  const toolCall = chooseToolCall(shape, body);
  let completionTokens: number;
  if (toolCall) {
    frames.push(
      frame({
        index: 0,
        delta: { role: 'assistant', content: null, tool_calls: [{ index: 0, id: toolCall.id, type: 'function', function: { name: toolCall.name, arguments: '' } }], refusal: null },
        logprobs: null,
        finish_reason: null,
      }),
    );
    const args = toolCall.arguments;
    const third = Math.ceil(args.length / 3);
    for (let i = 0; i < args.length; i += third) {
      frames.push(frame({ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: args.slice(i, i + third) } }] }, logprobs: null, finish_reason: null }));
    }
    frames.push(frame({ index: 0, delta: {}, logprobs: null, finish_reason: 'tool_calls' }));
    completionTokens = estimateTokens(args);
  } else {
    frames.push(frame({ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }));
    const pieces = splitReply(shape, replyText(shape, body));
    for (const piece of pieces) frames.push(frame({ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }));
    frames.push(frame({ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }));
    completionTokens = pieces.length;
  }
  if (includeUsage) {
    frames.push(`data: ${head}[],"usage":${JSON.stringify(chatUsage(estimateTokens(body.messages), completionTokens))}}\n\n`);
  }
  frames.push('data: [DONE]\n\n');
  return frames;
}

export function textCompletion(shape: ReplyShape, body: Json): Json {
  const pieces = splitReply(shape, shape.reply);
  return {
    id: newId('cmpl'),
    object: 'text_completion',
    created: Math.floor(Date.now() / 1000),
    model: String(body.model),
    choices: [{ text: pieces.join(''), index: 0, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: estimateTokens(body.prompt), completion_tokens: pieces.length, total_tokens: estimateTokens(body.prompt) + pieces.length },
  };
}

export function textCompletionFrames(shape: ReplyShape, body: Json): string[] {
  const id = newId('cmpl');
  const created = Math.floor(Date.now() / 1000);
  const pieces = splitReply(shape, shape.reply);
  const frames = pieces.map(
    (text, i) =>
      `data: ${JSON.stringify({ id, object: 'text_completion', created, choices: [{ text, index: 0, logprobs: null, finish_reason: i === pieces.length - 1 ? 'stop' : null }], model: String(body.model) })}\n\n`,
  );
  if ((body.stream_options as Json | undefined)?.include_usage === true) {
    const prompt = estimateTokens(body.prompt);
    frames.push(
      `data: ${JSON.stringify({ id, object: 'text_completion', created, choices: [], model: String(body.model), usage: { prompt_tokens: prompt, completion_tokens: pieces.length, total_tokens: prompt + pieces.length } })}\n\n`,
    );
  }
  frames.push('data: [DONE]\n\n');
  return frames;
}

/** Deterministic unit-length vector for a text (same text, same vector). */
function embed(text: string, dimensions: number): number[] {
  const vector: number[] = [];
  let seed = createHash('sha256').update(text).digest();
  while (vector.length < dimensions) {
    for (let i = 0; i + 1 < seed.length && vector.length < dimensions; i += 2) vector.push((seed.readUInt16BE(i) / 65535) * 2 - 1);
    seed = createHash('sha256').update(seed).digest();
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((v) => v / norm);
}

export function embeddings(shape: ReplyShape, body: Json): Json {
  const inputs: unknown[] = Array.isArray(body.input) && typeof body.input[0] !== 'number' ? body.input : [body.input];
  const dimensions = typeof body.dimensions === 'number' && body.dimensions > 0 ? Math.min(body.dimensions, 4096) : shape.embeddingDimensions;
  const base64 = body.encoding_format === 'base64';
  const data = inputs.map((input, index) => {
    const vector = embed(JSON.stringify(input), dimensions);
    return {
      object: 'embedding',
      index,
      embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector,
    };
  });
  const tokens = estimateTokens(body.input);
  return { object: 'list', data, model: String(body.model), usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

export function modelList(models: readonly string[]): Json {
  return { object: 'list', data: models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'kagami-simulator' })) };
}

export function errorBody(status: number, message: string): Json {
  const type = status === 429 ? 'rate_limit_error' : status === 401 ? 'authentication_error' : status >= 500 ? 'server_error' : 'invalid_request_error';
  const code = status === 429 ? 'rate_limit_exceeded' : status === 401 ? 'invalid_api_key' : status === 404 ? 'not_found' : null;
  return { error: { message, type, param: null, code } };
}
