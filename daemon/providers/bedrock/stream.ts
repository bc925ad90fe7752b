// Bedrock ConverseStream (binary AWS event-stream, application/vnd.amazon.eventstream) →
// OpenAI chat.completion.chunk objects. Frames are cut out of the byte stream by their
// length prelude (they may arrive split anywhere, even inside the prelude) and decoded with
// AWS's codec, which checks both CRCs. The finish and usage chunks are sent at the end of the
// stream because `metadata` (usage) comes after `messageStop`.
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { GatewayError } from '../../../shared/errors.js';
import type { JsonObject, Usage } from '../../pipeline/context.js';
import type { StreamDecoder } from '../types.js';
import { ChunkBuilder, nowSeconds, type FinishReason } from '../openai-shapes.js';
import { JSON_TOOL } from '../json-tool.js';
import { completionId, mapStopReason, mapUsage, type ConverseUsage } from './response.js';
import { streamException } from './errors.js';

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const utf8 = new TextDecoder();

interface BlockState {
  kind: 'tool' | 'json';
  toolIndex: number;
  hasInput: boolean;
}

export class BedrockStreamDecoder implements StreamDecoder {
  private buffer: Uint8Array = new Uint8Array(0);
  private readonly chunks: ChunkBuilder;
  private started = false;
  private readonly blocks = new Map<number, BlockState>();
  private toolCount = 0;
  private sawJsonTool = false;
  private stopReason: unknown = undefined;
  private lastUsage: ConverseUsage | undefined;

  constructor(
    model: string,
    private readonly jsonTool: boolean,
  ) {
    this.chunks = new ChunkBuilder(completionId(), model, nowSeconds());
  }

  push(bytes: Uint8Array): JsonObject[] {
    this.buffer = this.buffer.length === 0 ? bytes : concat(this.buffer, bytes);
    const out: JsonObject[] = [];
    while (this.buffer.length >= 4) {
      const view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
      const length = view.getUint32(0);
      if (length < 16) throw new GatewayError('upstream_error', 'bedrock sent a malformed event-stream frame');
      if (this.buffer.length < length) break;
      const frame = this.buffer.subarray(0, length);
      this.buffer = this.buffer.subarray(length);
      this.frame(frame, out);
    }
    return out;
  }

  end(): JsonObject[] {
    if (this.buffer.length > 0) throw new GatewayError('upstream_error', 'bedrock stream ended inside an event-stream frame');
    if (this.stopReason === undefined) throw new GatewayError('upstream_error', 'bedrock stream ended before messageStop');
    let reason: FinishReason = mapStopReason(this.stopReason);
    if (this.sawJsonTool && this.toolCount === 0 && reason === 'tool_calls') reason = 'stop';
    return [this.chunks.finish(reason), this.chunks.usage(mapUsage(this.lastUsage))];
  }

  usage(): Usage | undefined {
    return this.lastUsage === undefined ? undefined : mapUsage(this.lastUsage);
  }

  private frame(frame: Uint8Array, out: JsonObject[]): void {
    let message;
    try {
      message = codec.decode(frame);
    } catch (cause) {
      throw new GatewayError('upstream_error', `bedrock sent a corrupt event-stream frame (${(cause as Error).message})`, { cause });
    }
    const header = (name: string): string | undefined => {
      const value = message.headers[name]?.value;
      return typeof value === 'string' ? value : undefined;
    };
    const body = utf8.decode(message.body);
    const messageType = header(':message-type');
    if (messageType === 'exception') throw streamException(header(':exception-type') ?? 'exception', body);
    if (messageType === 'error') throw streamException(header(':error-code') ?? 'error', JSON.stringify({ message: header(':error-message') ?? body }));
    let payload: JsonObject;
    try {
      payload = JSON.parse(body) as JsonObject;
    } catch (cause) {
      throw new GatewayError('upstream_error', 'bedrock sent an event that is not JSON', { cause });
    }
    this.event(header(':event-type') ?? '', payload, out);
  }

  private event(type: string, payload: JsonObject, out: JsonObject[]): void {
    if (!this.started) {
      this.started = true;
      out.push(this.chunks.role());
    }
    const index = Number(payload['contentBlockIndex']);
    switch (type) {
      case 'contentBlockStart': {
        const toolUse = (payload['start'] as { toolUse?: { toolUseId?: string; name?: string } } | undefined)?.toolUse;
        if (toolUse === undefined) return;
        if (this.jsonTool && toolUse.name === JSON_TOOL) {
          this.sawJsonTool = true;
          this.blocks.set(index, { kind: 'json', toolIndex: -1, hasInput: false });
          return;
        }
        const toolIndex = this.toolCount++;
        this.blocks.set(index, { kind: 'tool', toolIndex, hasInput: false });
        out.push(this.chunks.toolCallStart(toolIndex, toolUse.toolUseId ?? '', toolUse.name ?? ''));
        return;
      }
      case 'contentBlockDelta': {
        const delta = (payload['delta'] ?? {}) as { text?: string; toolUse?: { input?: string }; reasoningContent?: { text?: string } };
        if (typeof delta.text === 'string' && delta.text !== '') out.push(this.chunks.text(delta.text));
        else if (typeof delta.reasoningContent?.text === 'string' && delta.reasoningContent.text !== '') out.push(this.chunks.reasoning(delta.reasoningContent.text));
        else if (typeof delta.toolUse?.input === 'string' && delta.toolUse.input !== '') {
          const block = this.blocks.get(index);
          if (block === undefined) return;
          block.hasInput = true;
          out.push(block.kind === 'json' ? this.chunks.text(delta.toolUse.input) : this.chunks.toolCallArgs(block.toolIndex, delta.toolUse.input));
        }
        return;
      }
      case 'contentBlockStop': {
        const block = this.blocks.get(index);
        if (block !== undefined && !block.hasInput) out.push(block.kind === 'json' ? this.chunks.text('{}') : this.chunks.toolCallArgs(block.toolIndex, '{}'));
        return;
      }
      case 'messageStop':
        this.stopReason = payload['stopReason'];
        return;
      case 'metadata':
        this.lastUsage = payload['usage'] as ConverseUsage | undefined;
        return;
      default:
        return; // messageStart (role sent above) and event types added later
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a, 0);
  joined.set(b, a.length);
  return joined;
}
