// Anthropic Messages SSE stream → OpenAI chat.completion.chunk objects.
// message_start opens the assistant turn; content blocks become text, reasoning_content or
// tool-call deltas (OpenAI numbers tool calls 0..n, Anthropic numbers all blocks); the
// stop reason and the final usage (message_delta is cumulative and may repeat input_tokens)
// are sent on message_stop as a finish chunk and a `choices: []` usage chunk.
import { GatewayError } from '../../../shared/errors.js';
import type { JsonObject, Usage } from '../../pipeline/context.js';
import type { StreamDecoder } from '../types.js';
import { ChunkBuilder, nowSeconds, type FinishReason } from '../openai-shapes.js';
import { SseDecoder } from '../../upstream/sse-decoder.js';
import { JSON_TOOL } from '../json-tool.js';
import { mapStopReason, mapUsage, type AnthropicUsage } from './response.js';
import { errorFromBody } from './errors.js';

interface BlockState {
  kind: 'text' | 'thinking' | 'tool' | 'json' | 'other';
  toolIndex: number;
  /** Tool input received so far is non-empty (a tool without arguments still needs "{}"). */
  hasInput: boolean;
}

export class AnthropicStreamDecoder implements StreamDecoder {
  private readonly sse = new SseDecoder();
  private chunks: ChunkBuilder | null = null;
  private readonly blocks = new Map<number, BlockState>();
  private toolCount = 0;
  private sawJsonTool = false;
  private usageSoFar: AnthropicUsage = {};
  private stopReason: unknown = null;
  private finished = false;

  constructor(
    private readonly jsonTool: boolean,
    private readonly fallbackModel: string,
  ) {}

  push(bytes: Uint8Array): JsonObject[] {
    return this.translate(this.sse.push(bytes));
  }

  end(): JsonObject[] {
    const out = this.translate(this.sse.end());
    if (!this.finished) {
      throw new GatewayError('upstream_error', 'anthropic stream ended before message_stop');
    }
    return out;
  }

  usage(): Usage | undefined {
    return this.chunks === null ? undefined : mapUsage(this.usageSoFar);
  }

  private translate(events: readonly { event: string; data: string }[]): JsonObject[] {
    const out: JsonObject[] = [];
    for (const { data } of events) {
      let event: JsonObject;
      try {
        event = JSON.parse(data) as JsonObject;
      } catch (cause) {
        throw new GatewayError('upstream_error', 'anthropic sent a stream event that is not JSON', { cause });
      }
      this.handle(event, out);
    }
    return out;
  }

  private builder(): ChunkBuilder {
    this.chunks ??= new ChunkBuilder('', this.fallbackModel, nowSeconds());
    return this.chunks;
  }

  private handle(event: JsonObject, out: JsonObject[]): void {
    switch (event['type']) {
      case 'message_start': {
        const message = (event['message'] ?? {}) as JsonObject;
        this.chunks = new ChunkBuilder(String(message['id'] ?? ''), String(message['model'] ?? this.fallbackModel), nowSeconds());
        this.usageSoFar = { ...((message['usage'] ?? {}) as AnthropicUsage) };
        out.push(this.chunks.role());
        return;
      }
      case 'content_block_start':
        this.startBlock(Number(event['index']), (event['content_block'] ?? {}) as JsonObject, out);
        return;
      case 'content_block_delta':
        this.delta(Number(event['index']), (event['delta'] ?? {}) as JsonObject, out);
        return;
      case 'content_block_stop': {
        const block = this.blocks.get(Number(event['index']));
        if (block !== undefined && !block.hasInput && (block.kind === 'tool' || block.kind === 'json')) {
          out.push(block.kind === 'tool' ? this.builder().toolCallArgs(block.toolIndex, '{}') : this.builder().text('{}'));
        }
        return;
      }
      case 'message_delta': {
        const delta = (event['delta'] ?? {}) as JsonObject;
        if (delta['stop_reason'] !== undefined && delta['stop_reason'] !== null) this.stopReason = delta['stop_reason'];
        this.usageSoFar = { ...this.usageSoFar, ...((event['usage'] ?? {}) as AnthropicUsage) };
        return;
      }
      case 'message_stop': {
        let reason: FinishReason = mapStopReason(this.stopReason);
        if (this.sawJsonTool && this.toolCount === 0 && reason === 'tool_calls') reason = 'stop';
        const builder = this.builder();
        out.push(builder.finish(reason));
        out.push(builder.usage(mapUsage(this.usageSoFar)));
        this.finished = true;
        return;
      }
      case 'error': {
        const error = (event['error'] ?? {}) as JsonObject;
        throw errorFromBody(streamErrorStatus(error['type']), { error });
      }
      default:
        return; // ping, and event types added later
    }
  }

  private startBlock(index: number, block: JsonObject, out: JsonObject[]): void {
    const builder = this.builder();
    switch (block['type']) {
      case 'text':
        this.blocks.set(index, { kind: 'text', toolIndex: -1, hasInput: false });
        if (typeof block['text'] === 'string' && block['text'] !== '') out.push(builder.text(block['text']));
        return;
      case 'thinking':
        this.blocks.set(index, { kind: 'thinking', toolIndex: -1, hasInput: false });
        return;
      case 'tool_use': {
        const name = String(block['name'] ?? '');
        if (this.jsonTool && name === JSON_TOOL) {
          this.sawJsonTool = true;
          this.blocks.set(index, { kind: 'json', toolIndex: -1, hasInput: false });
          return;
        }
        const toolIndex = this.toolCount++;
        this.blocks.set(index, { kind: 'tool', toolIndex, hasInput: false });
        out.push(builder.toolCallStart(toolIndex, String(block['id'] ?? ''), name));
        return;
      }
      default:
        this.blocks.set(index, { kind: 'other', toolIndex: -1, hasInput: false });
    }
  }

  private delta(index: number, delta: JsonObject, out: JsonObject[]): void {
    const block = this.blocks.get(index);
    const builder = this.builder();
    switch (delta['type']) {
      case 'text_delta':
        if (typeof delta['text'] === 'string' && delta['text'] !== '') out.push(builder.text(delta['text']));
        return;
      case 'thinking_delta':
        if (typeof delta['thinking'] === 'string' && delta['thinking'] !== '') out.push(builder.reasoning(delta['thinking']));
        return;
      case 'input_json_delta': {
        const partial = delta['partial_json'];
        if (typeof partial !== 'string' || partial === '' || block === undefined) return;
        block.hasInput = true;
        if (block.kind === 'json') out.push(builder.text(partial));
        else if (block.kind === 'tool') out.push(builder.toolCallArgs(block.toolIndex, partial));
        return;
      }
      default:
        return; // signature_delta, citations_delta: nothing OpenAI clients can use
    }
  }
}

/** In-stream error events carry no HTTP status; derive it from the error type. */
function streamErrorStatus(type: unknown): number {
  switch (type) {
    case 'overloaded_error':
      return 529;
    case 'rate_limit_error':
      return 429;
    case 'invalid_request_error':
      return 400;
    default:
      return 500;
  }
}
