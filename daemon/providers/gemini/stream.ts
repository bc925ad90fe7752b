// Gemini streamGenerateContent?alt=sse → OpenAI chat.completion.chunk objects. Events are
// framed with \r\n\r\n and every event repeats usageMetadata (the last one is final). There is
// no end-of-stream event: the finish and usage chunks are sent when the upstream closes, and a
// stream that closes without any finishReason is an upstream failure. Function calls arrive
// whole, or (Gemini 3 streamed arguments) as a named start, partialArgs by JSON path, and an
// empty functionCall that closes the call: the arguments are sent once complete.
import { GatewayError } from '../../../shared/errors.js';
import type { JsonObject, Usage } from '../../pipeline/context.js';
import type { StreamDecoder } from '../types.js';
import { ChunkBuilder, nowSeconds } from '../openai-shapes.js';
import { SseDecoder } from '../../upstream/sse-decoder.js';
import { toolCallId } from './request.js';
import { mapFinishReason, mapUsage, promptBlockError, type GeminiCandidate, type GeminiPart, type UsageMetadata } from './response.js';
import { mapGoogleError } from './errors.js';

interface PartialArg {
  jsonPath?: string;
  stringValue?: string;
  numberValue?: number;
  boolValue?: boolean;
  nullValue?: unknown;
}

export class GeminiStreamDecoder implements StreamDecoder {
  private readonly sse = new SseDecoder();
  private chunks: ChunkBuilder | null = null;
  private responseId = '';
  private toolCount = 0;
  /** A function call whose arguments are still streaming (partialArgs). */
  private pending: { index: number; args: JsonObject } | null = null;
  private finishReason: unknown = undefined;
  private lastUsage: UsageMetadata | undefined;

  constructor(
    private readonly provider: string,
    private readonly fallbackModel: string,
  ) {}

  push(bytes: Uint8Array): JsonObject[] {
    const out: JsonObject[] = [];
    for (const event of this.sse.push(bytes)) this.handle(event.data, out);
    return out;
  }

  end(): JsonObject[] {
    const out: JsonObject[] = [];
    for (const event of this.sse.end()) this.handle(event.data, out);
    if (this.finishReason === undefined) {
      throw new GatewayError('upstream_error', `${this.provider} stream ended without a finishReason`);
    }
    const builder = this.builder(undefined);
    this.closePending(out);
    out.push(builder.finish(mapFinishReason(this.finishReason, this.toolCount > 0)));
    out.push(builder.usage(mapUsage(this.lastUsage)));
    return out;
  }

  usage(): Usage | undefined {
    return this.lastUsage === undefined ? undefined : mapUsage(this.lastUsage);
  }

  private builder(response: JsonObject | undefined): ChunkBuilder {
    if (this.chunks === null) {
      this.responseId = String(response?.['responseId'] ?? '');
      this.chunks = new ChunkBuilder(this.responseId, String(response?.['modelVersion'] ?? this.fallbackModel), nowSeconds());
    }
    return this.chunks;
  }

  private handle(data: string, out: JsonObject[]): void {
    let response: JsonObject;
    try {
      response = JSON.parse(data) as JsonObject;
    } catch (cause) {
      throw new GatewayError('upstream_error', `${this.provider} sent a stream event that is not JSON`, { cause });
    }
    if (response['error'] !== undefined) {
      const code = (response['error'] as { code?: unknown }).code;
      throw mapGoogleError(this.provider, typeof code === 'number' ? code : 500, data, {});
    }
    const blocked = promptBlockError(response);
    if (blocked !== null) throw blocked;
    const first = this.chunks === null;
    const builder = this.builder(response);
    if (first) out.push(builder.role());
    if (response['usageMetadata'] !== undefined) this.lastUsage = response['usageMetadata'] as UsageMetadata;
    const candidate = ((response['candidates'] as GeminiCandidate[] | undefined) ?? [])[0];
    for (const part of candidate?.content?.parts ?? []) {
      const call = part.functionCall;
      if (call !== undefined) {
        this.functionCall(call, part.thoughtSignature, builder, out);
      } else if (typeof part.text === 'string' && part.text !== '') {
        out.push(part.thought === true ? builder.reasoning(part.text) : builder.text(part.text));
      }
    }
    if (candidate?.finishReason !== undefined) this.finishReason = candidate.finishReason;
  }

  private functionCall(call: NonNullable<GeminiPart['functionCall']>, signature: string | undefined, builder: ChunkBuilder, out: JsonObject[]): void {
    if (typeof call.name === 'string' && call.name !== '') {
      this.closePending(out);
      const index = this.toolCount++;
      const id = toolCallId(this.responseId, index, signature);
      if (call.willContinue === true && call.args === undefined) {
        out.push(builder.toolCallStart(index, id, call.name));
        this.pending = { index, args: {} };
      } else {
        out.push(builder.toolCallStart(index, id, call.name, JSON.stringify(call.args ?? {})));
      }
      return;
    }
    if (this.pending === null) return;
    for (const arg of (call.partialArgs ?? []) as PartialArg[]) applyPartialArg(this.pending.args, arg);
    if (call.willContinue !== true) this.closePending(out);
  }

  private closePending(out: JsonObject[]): void {
    if (this.pending === null || this.chunks === null) return;
    out.push(this.chunks.toolCallArgs(this.pending.index, JSON.stringify(this.pending.args)));
    this.pending = null;
  }
}

const JSON_PATH_STEP = /\.([^.[\]]+)|\[(\d+)\]/g;

/** Applies one streamed argument fragment (`$.a.b[2].c`) to the arguments object. */
function applyPartialArg(root: JsonObject, arg: PartialArg): void {
  const path = arg.jsonPath ?? '$';
  const keys: (string | number)[] = [];
  for (const match of path.matchAll(JSON_PATH_STEP)) keys.push(match[2] !== undefined ? Number(match[2]) : (match[1] as string));
  if (keys.length === 0) return;
  let node: Record<string | number, unknown> = root;
  for (let i = 0; i < keys.length - 1; i++) {
    const key = keys[i] as string | number;
    const nextIsIndex = typeof keys[i + 1] === 'number';
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = nextIsIndex ? [] : {};
    node = node[key] as Record<string | number, unknown>;
  }
  const last = keys[keys.length - 1] as string | number;
  if (arg.stringValue !== undefined) node[last] = (typeof node[last] === 'string' ? (node[last] as string) : '') + arg.stringValue;
  else if (arg.numberValue !== undefined) node[last] = arg.numberValue;
  else if (arg.boolValue !== undefined) node[last] = arg.boolValue;
  else if ('nullValue' in arg) node[last] = null;
}
