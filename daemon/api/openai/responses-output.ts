// The gateway's OpenAI chat answers → Responses API answers: a chat.completion becomes a
// `response` object, and a stream of chat.completion.chunk objects becomes the Responses
// event sequence exactly as OpenAI frames it (response.created, response.in_progress, then
// per output item output_item.added → content_part.added → output_text.delta … →
// output_text.done → content_part.done → output_item.done, function_call_arguments.delta /
// .done for tool calls, reasoning_text.* for reasoning, and response.completed or
// response.incomplete with usage), every event numbered by sequence_number from 0.
import { randomBytes } from 'node:crypto';
import type { GatewayError } from '../../../shared/errors.js';
import type { ResponsesRequest } from '../../../shared/schemas/responses.js';
import type { JsonObject } from '../../pipeline/context.js';
import { reasoningTextOf } from '../../providers/openai-shapes.js';
import type { NamedEvent } from '../anthropic/event-stream.js';

function newId(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString('hex')}`;
}

interface ChatUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

/** Chat usage → Responses usage (same counts, Responses names). */
export function responsesUsage(usage: ChatUsage | undefined | null): JsonObject | null {
  if (usage === undefined || usage === null) return null;
  const input = usage.prompt_tokens ?? 0;
  const output = usage.completion_tokens ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: usage.total_tokens ?? input + output,
  };
}

/** Why an answer stopped short, in Responses terms (null = it completed). */
function incompleteReason(finishReason: unknown): string | null {
  if (finishReason === 'length') return 'max_output_tokens';
  if (finishReason === 'content_filter') return 'content_filter';
  return null;
}

/** The response object around the output: the request's settings echoed as OpenAI does. */
export class ResponseShell {
  readonly id = newId('resp');
  readonly createdAt = Math.floor(Date.now() / 1000);

  constructor(private readonly req: ResponsesRequest) {}

  build(status: string, model: string, output: JsonObject[], usage: JsonObject | null, finishReason: unknown): JsonObject {
    const req = this.req;
    const reason = status === 'in_progress' ? null : incompleteReason(finishReason);
    const text = (req['text'] as JsonObject | undefined | null) ?? {};
    const reasoning = (req['reasoning'] as JsonObject | undefined | null) ?? {};
    return {
      id: this.id,
      object: 'response',
      created_at: this.createdAt,
      status: reason === null ? status : 'incomplete',
      background: false,
      completed_at: status === 'in_progress' ? null : Math.floor(Date.now() / 1000),
      error: null,
      incomplete_details: reason === null ? null : { reason },
      instructions: req.instructions ?? null,
      max_output_tokens: req.max_output_tokens ?? null,
      max_tool_calls: null,
      model,
      output,
      parallel_tool_calls: req['parallel_tool_calls'] ?? true,
      previous_response_id: null,
      reasoning: { effort: reasoning['effort'] ?? null, summary: reasoning['summary'] ?? null },
      store: false,
      temperature: req['temperature'] ?? 1,
      text: { format: text['format'] ?? { type: 'text' }, ...(text['verbosity'] === undefined ? {} : { verbosity: text['verbosity'] }) },
      tool_choice: req['tool_choice'] ?? 'auto',
      tools: req.tools ?? [],
      top_p: req['top_p'] ?? 1,
      truncation: 'disabled',
      usage,
      user: typeof req['user'] === 'string' ? req['user'] : null,
      metadata: req['metadata'] ?? {},
    };
  }
}

function textPart(text: string): JsonObject {
  return { type: 'output_text', annotations: [], logprobs: [], text };
}

function messageItem(id: string, status: string, content: JsonObject[]): JsonObject {
  return { id, type: 'message', status, content, role: 'assistant' };
}

function functionCallItem(id: string, status: string, callId: string, name: string, args: string): JsonObject {
  return { id, type: 'function_call', status, arguments: args, call_id: callId, name };
}

function reasoningItem(id: string, text: string | null): JsonObject {
  return { id, type: 'reasoning', summary: [], ...(text === null ? {} : { content: [{ type: 'reasoning_text', text }] }) };
}

interface ChatMessage {
  content?: unknown;
  refusal?: unknown;
  reasoning_content?: unknown;
  reasoning?: unknown;
  tool_calls?: { id: string; function: { name: string; arguments: string } }[];
}

/** A chat.completion → a complete `response` object. */
export function chatToResponse(body: JsonObject, req: ResponsesRequest): JsonObject {
  const choice = ((body['choices'] as JsonObject[] | undefined) ?? [])[0] ?? {};
  const message = (choice['message'] ?? {}) as ChatMessage;
  const output: JsonObject[] = [];
  const reasoning = reasoningTextOf(message);
  if (reasoning !== '') output.push(reasoningItem(newId('rs'), reasoning));
  const content: JsonObject[] = [];
  if (typeof message.content === 'string' && message.content !== '') content.push(textPart(message.content));
  if (typeof message.refusal === 'string' && message.refusal !== '') content.push({ type: 'refusal', refusal: message.refusal });
  if (content.length > 0) output.push(messageItem(newId('msg'), 'completed', content));
  for (const call of message.tool_calls ?? []) output.push(functionCallItem(newId('fc'), 'completed', call.id, call.function.name, call.function.arguments));
  const model = typeof body['model'] === 'string' && body['model'] !== '' ? body['model'] : req.model;
  return new ResponseShell(req).build('completed', model, output, responsesUsage(body['usage'] as ChatUsage | undefined), choice['finish_reason']);
}

interface TextItem {
  kind: 'message' | 'reasoning';
  outputIndex: number;
  id: string;
  text: string;
}
interface ToolItem {
  kind: 'tool';
  outputIndex: number;
  id: string;
  toolIndex: number;
  callId: string;
  name: string;
  args: string;
}
type OpenItem = TextItem | ToolItem;

interface ChunkDelta {
  content?: unknown;
  reasoning_content?: unknown;
  reasoning?: unknown;
  tool_calls?: { index: number; id?: string; function?: { name?: string; arguments?: string } }[];
}

/**
 * Translates one streamed answer; feed chunks in order, then finish(). A text or reasoning
 * item closes when another item starts; tool-call items stay open until the answer ends, so
 * argument fragments that arrive after other output (parallel calls interleaved, or text the
 * redaction stage held back and released with the finishing chunk) still reach their call.
 */
export class ChunksToResponseEvents {
  readonly #shell: ResponseShell;
  #sequence = 0;
  #started = false;
  #model: string;
  #output: JsonObject[] = [];
  #open: OpenItem[] = [];
  #finishReason: unknown = null;
  #usage: ChatUsage | undefined;

  constructor(req: ResponsesRequest) {
    this.#shell = new ResponseShell(req);
    this.#model = req.model;
  }

  push(chunk: JsonObject): NamedEvent[] {
    const out: NamedEvent[] = [];
    if (!this.#started) {
      this.#started = true;
      if (typeof chunk['model'] === 'string' && chunk['model'] !== '') this.#model = chunk['model'];
      const response = this.#shell.build('in_progress', this.#model, [], null, null);
      out.push(this.#event('response.created', { response }), this.#event('response.in_progress', { response }));
    }
    if (chunk['usage'] !== undefined && chunk['usage'] !== null) this.#usage = chunk['usage'] as ChatUsage;
    for (const choice of (chunk['choices'] as JsonObject[] | undefined) ?? []) {
      if ((choice['index'] ?? 0) !== 0) continue; // Responses has one answer; n > 1 is not part of it
      const delta = (choice['delta'] ?? {}) as ChunkDelta;
      const reasoning = reasoningTextOf(delta);
      if (reasoning !== '') this.#appendText('reasoning', reasoning, out);
      if (typeof delta.content === 'string' && delta.content !== '') this.#appendText('message', delta.content, out);
      for (const call of delta.tool_calls ?? []) this.#appendToolCall(call, out);
      if (choice['finish_reason'] !== null && choice['finish_reason'] !== undefined) this.#finishReason = choice['finish_reason'];
    }
    return out;
  }

  finish(): NamedEvent[] {
    const out = this.#started ? [] : this.push({ choices: [] });
    this.#closeAll(out);
    const response = this.#shell.build('completed', this.#model, this.#output, responsesUsage(this.#usage), this.#finishReason);
    out.push(this.#event(response['status'] === 'incomplete' ? 'response.incomplete' : 'response.completed', { response }));
    return out;
  }

  /** An upstream failure after the stream started, as OpenAI reports it inside a stream. */
  error(failure: GatewayError): NamedEvent[] {
    const error = { type: failure.type, code: failure.code, message: failure.message, param: failure.param };
    const failed = this.#started ? [] : this.push({ choices: [] });
    const response = { ...this.#shell.build('failed', this.#model, this.#output, responsesUsage(this.#usage), null), error: { code: failure.code, message: failure.message } };
    return [...failed, this.#event('error', { error }), this.#event('response.failed', { response })];
  }

  #event(type: string, fields: JsonObject): NamedEvent {
    return { event: type, data: { type, ...fields, sequence_number: this.#sequence++ } };
  }

  #appendText(kind: 'message' | 'reasoning', text: string, out: NamedEvent[]): void {
    let item = this.#open.find((open): open is TextItem => open.kind === kind);
    if (item === undefined) {
      for (const open of this.#open.filter((other) => other.kind !== 'tool')) this.#close(open, out);
      item = { kind, outputIndex: this.#output.length, id: newId(kind === 'message' ? 'msg' : 'rs'), text: '' };
      this.#open.push(item);
      const added = kind === 'message' ? messageItem(item.id, 'in_progress', []) : reasoningItem(item.id, null);
      this.#output.push(added);
      out.push(this.#event('response.output_item.added', { output_index: item.outputIndex, item: added }));
      const part = kind === 'message' ? textPart('') : { type: 'reasoning_text', text: '' };
      out.push(this.#event('response.content_part.added', { item_id: item.id, output_index: item.outputIndex, content_index: 0, part }));
    }
    item.text += text;
    const where = { item_id: item.id, output_index: item.outputIndex, content_index: 0 };
    out.push(
      kind === 'message'
        ? this.#event('response.output_text.delta', { ...where, delta: text, logprobs: [] })
        : this.#event('response.reasoning_text.delta', { ...where, delta: text }),
    );
  }

  #appendToolCall(call: NonNullable<ChunkDelta['tool_calls']>[number], out: NamedEvent[]): void {
    let item = this.#open.find((open): open is ToolItem => open.kind === 'tool' && open.toolIndex === call.index);
    if (item === undefined) {
      const text = this.#open.find((open) => open.kind !== 'tool');
      if (text !== undefined) this.#close(text, out);
      item = { kind: 'tool', outputIndex: this.#output.length, id: newId('fc'), toolIndex: call.index, callId: call.id ?? newId('call'), name: call.function?.name ?? '', args: '' };
      this.#open.push(item);
      const added = functionCallItem(item.id, 'in_progress', item.callId, item.name, '');
      this.#output.push(added);
      out.push(this.#event('response.output_item.added', { output_index: item.outputIndex, item: added }));
    }
    const args = call.function?.arguments;
    if (typeof args === 'string' && args !== '') {
      item.args += args;
      out.push(this.#event('response.function_call_arguments.delta', { item_id: item.id, output_index: item.outputIndex, delta: args }));
    }
  }

  #closeAll(out: NamedEvent[]): void {
    for (const item of [...this.#open]) this.#close(item, out);
  }

  #close(item: OpenItem, out: NamedEvent[]): void {
    this.#open = this.#open.filter((open) => open !== item);
    const where = { item_id: item.id, output_index: item.outputIndex };
    let done: JsonObject;
    if (item.kind === 'tool') {
      out.push(this.#event('response.function_call_arguments.done', { ...where, arguments: item.args }));
      done = functionCallItem(item.id, 'completed', item.callId, item.name, item.args);
    } else if (item.kind === 'message') {
      const part = textPart(item.text);
      out.push(this.#event('response.output_text.done', { ...where, content_index: 0, text: item.text, logprobs: [] }));
      out.push(this.#event('response.content_part.done', { ...where, content_index: 0, part }));
      done = messageItem(item.id, 'completed', [part]);
    } else {
      const part = { type: 'reasoning_text', text: item.text };
      out.push(this.#event('response.reasoning_text.done', { ...where, content_index: 0, text: item.text }));
      out.push(this.#event('response.content_part.done', { ...where, content_index: 0, part }));
      done = reasoningItem(item.id, item.text);
    }
    this.#output[item.outputIndex] = done;
    out.push(this.#event('response.output_item.done', { output_index: item.outputIndex, item: done }));
  }
}
