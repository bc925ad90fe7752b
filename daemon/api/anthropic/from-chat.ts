// The gateway's OpenAI-shaped answers → Anthropic Messages answers: a chat.completion becomes
// a message object, and a stream of chat.completion.chunk objects becomes Anthropic's event
// sequence (message_start, ping, content_block_start / _delta / _stop per text, thinking and
// tool_use block, message_delta with stop_reason and usage, message_stop), so the Anthropic
// SDK and Claude Code read it as if Anthropic answered.
import type { JsonObject } from '../../pipeline/context.js';
import { reasoningTextOf } from '../../providers/openai-shapes.js';
import type { NamedEvent } from './event-stream.js';

const STOP_REASONS: Record<string, string> = { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use', function_call: 'tool_use', content_filter: 'refusal' };

export function stopReasonOf(finishReason: unknown): string {
  return typeof finishReason === 'string' ? (STOP_REASONS[finishReason] ?? 'end_turn') : 'end_turn';
}

interface OpenAiUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number } | null;
}

/** OpenAI prompt_tokens include cache reads and writes; Anthropic's input_tokens do not. */
export function anthropicUsage(usage: OpenAiUsage | undefined): JsonObject {
  const cached = usage?.prompt_tokens_details?.cached_tokens ?? 0;
  const written = usage?.prompt_tokens_details?.cache_write_tokens ?? 0;
  return {
    input_tokens: Math.max(0, (usage?.prompt_tokens ?? 0) - cached - written),
    cache_creation_input_tokens: written,
    cache_read_input_tokens: cached,
    output_tokens: usage?.completion_tokens ?? 0,
  };
}

function messageId(id: unknown): string {
  const text = typeof id === 'string' && id !== '' ? id : `${Date.now().toString(36)}`;
  return text.startsWith('msg_') ? text : `msg_${text}`;
}

function parseArguments(args: unknown): unknown {
  if (typeof args !== 'string' || args.trim() === '') return {};
  try {
    return JSON.parse(args) as unknown;
  } catch {
    return { _raw: args };
  }
}

export function chatToMessage(body: JsonObject, model: string): JsonObject {
  const choice = ((body['choices'] as JsonObject[] | undefined) ?? [])[0] ?? {};
  const message = (choice['message'] ?? {}) as { content?: unknown; reasoning_content?: unknown; reasoning?: unknown; tool_calls?: { id: string; function: { name: string; arguments: string } }[] };
  const content: JsonObject[] = [];
  const reasoning = reasoningTextOf(message);
  if (reasoning !== '') {
    content.push({ type: 'thinking', thinking: reasoning, signature: '' });
  }
  if (typeof message.content === 'string' && message.content !== '') content.push({ type: 'text', text: message.content });
  for (const call of message.tool_calls ?? []) {
    content.push({ type: 'tool_use', id: call.id, name: call.function.name, input: parseArguments(call.function.arguments) });
  }
  return {
    id: messageId(body['id']),
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stopReasonOf(choice['finish_reason']),
    stop_sequence: null,
    usage: anthropicUsage(body['usage'] as OpenAiUsage | undefined),
  };
}

type OpenBlock = { kind: 'text' | 'thinking' } | { kind: 'tool'; toolIndex: number };

/** Translates one streamed answer; feed chunks in order, then call finish(). */
export class ChunksToAnthropicEvents {
  private started = false;
  private index = -1;
  private open: OpenBlock | null = null;
  private finishReason: unknown = null;
  private usage: OpenAiUsage | undefined;

  constructor(private readonly model: string) {}

  push(chunk: JsonObject): NamedEvent[] {
    const out: NamedEvent[] = [];
    if (!this.started) {
      this.started = true;
      out.push({
        event: 'message_start',
        data: {
          type: 'message_start',
          message: { id: messageId(chunk['id']), type: 'message', role: 'assistant', model: this.model, content: [], stop_reason: null, stop_sequence: null, usage: anthropicUsage(undefined) },
        },
      });
      out.push({ event: 'ping', data: { type: 'ping' } });
    }
    if (chunk['usage'] !== undefined && chunk['usage'] !== null) this.usage = chunk['usage'] as OpenAiUsage;
    for (const choice of (chunk['choices'] as JsonObject[] | undefined) ?? []) {
      const delta = (choice['delta'] ?? {}) as { content?: unknown; reasoning_content?: unknown; reasoning?: unknown; tool_calls?: { index: number; id?: string; function?: { name?: string; arguments?: string } }[] };
      const reasoning = reasoningTextOf(delta);
      if (reasoning !== '') {
        this.ensure({ kind: 'thinking' }, out, { type: 'thinking', thinking: '', signature: '' });
        out.push(this.delta({ type: 'thinking_delta', thinking: reasoning }));
      }
      // Tool fragments first: a delta carrying both is text held back (redaction) and released
      // with the call's last fragment, and the call's block must get its fragment before it closes.
      for (const call of delta.tool_calls ?? []) {
        const current = this.open;
        if (current?.kind !== 'tool' || current.toolIndex !== call.index) {
          this.close(out);
          this.index++;
          this.open = { kind: 'tool', toolIndex: call.index };
          out.push({ event: 'content_block_start', data: { type: 'content_block_start', index: this.index, content_block: { type: 'tool_use', id: call.id ?? '', name: call.function?.name ?? '', input: {} } } });
        }
        const args = call.function?.arguments;
        if (typeof args === 'string' && args !== '') out.push(this.delta({ type: 'input_json_delta', partial_json: args }));
      }
      if (typeof delta.content === 'string' && delta.content !== '') {
        this.ensure({ kind: 'text' }, out, { type: 'text', text: '' });
        out.push(this.delta({ type: 'text_delta', text: delta.content }));
      }
      if (choice['finish_reason'] !== null && choice['finish_reason'] !== undefined) this.finishReason = choice['finish_reason'];
    }
    return out;
  }

  finish(): NamedEvent[] {
    const out: NamedEvent[] = [];
    if (!this.started) out.push(...this.push({ choices: [] }));
    this.close(out);
    const usage = anthropicUsage(this.usage);
    out.push({ event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: stopReasonOf(this.finishReason), stop_sequence: null }, usage } });
    out.push({ event: 'message_stop', data: { type: 'message_stop' } });
    return out;
  }

  private ensure(block: { kind: 'text' | 'thinking' }, out: NamedEvent[], start: JsonObject): void {
    if (this.open?.kind === block.kind) return;
    this.close(out);
    this.index++;
    this.open = block;
    out.push({ event: 'content_block_start', data: { type: 'content_block_start', index: this.index, content_block: start } });
  }

  private delta(delta: JsonObject): NamedEvent {
    return { event: 'content_block_delta', data: { type: 'content_block_delta', index: this.index, delta } };
  }

  private close(out: NamedEvent[]): void {
    if (this.open === null) return;
    out.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index: this.index } });
    this.open = null;
  }
}
