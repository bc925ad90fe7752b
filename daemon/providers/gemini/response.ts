// Gemini GenerateContentResponse → OpenAI chat.completion, and the pieces the stream decoder
// shares: finish reasons, usage, and safety blocks. A blocked prompt (promptFeedback.blockReason,
// no candidates) is an error the client can read; a candidate stopped for safety is
// finish_reason "content_filter", as OpenAI-compatible clients expect from Azure.
import { GatewayError } from '../../../shared/errors.js';
import type { JsonObject, Usage } from '../../pipeline/context.js';
import { buildChatCompletion, nowSeconds, totalUsage, type ChatToolCall, type FinishReason } from '../openai-shapes.js';
import { toolCallId } from './request.js';

const FILTERED = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'LANGUAGE']);

export function mapFinishReason(reason: unknown, hasToolCalls: boolean): FinishReason {
  if (reason === 'MAX_TOKENS') return 'length';
  if (typeof reason === 'string' && FILTERED.has(reason)) return 'content_filter';
  return hasToolCalls ? 'tool_calls' : 'stop';
}

export interface UsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  toolUsePromptTokenCount?: number;
  cachedContentTokenCount?: number;
}

/** Thinking tokens are billed as output, like OpenAI's reasoning tokens inside completion_tokens. */
export function mapUsage(meta: UsageMetadata | undefined): Usage {
  const prompt = (meta?.promptTokenCount ?? 0) + (meta?.toolUsePromptTokenCount ?? 0);
  const completion = (meta?.candidatesTokenCount ?? 0) + (meta?.thoughtsTokenCount ?? 0);
  return totalUsage(prompt, completion, meta?.cachedContentTokenCount ?? 0);
}

/** promptFeedback.blockReason without candidates: the prompt itself was refused. */
export function promptBlockError(response: JsonObject): GatewayError | null {
  const feedback = response['promptFeedback'] as { blockReason?: string; blockReasonMessage?: string } | undefined;
  const candidates = response['candidates'] as unknown[] | undefined;
  if (feedback?.blockReason === undefined || (candidates !== undefined && candidates.length > 0)) return null;
  const detail = feedback.blockReasonMessage === undefined ? '' : `: ${feedback.blockReasonMessage}`;
  return new GatewayError('upstream_rejected', `gemini blocked the prompt (blockReason ${feedback.blockReason})${detail}`, {
    status: 400,
    param: 'messages',
  });
}

export interface GeminiPart {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  functionCall?: { name?: string; args?: JsonObject; id?: string; partialArgs?: unknown[]; willContinue?: boolean };
}

export interface GeminiCandidate {
  content?: { parts?: GeminiPart[] };
  finishReason?: string;
}

export function parseGeminiJson(raw: string): JsonObject {
  try {
    return JSON.parse(raw) as JsonObject;
  } catch (cause) {
    throw new GatewayError('upstream_error', 'gemini returned a body that is not JSON', { cause });
  }
}

export function fromGeminiResponse(raw: string, fallbackModel: string): { body: JsonObject; usage: Usage } {
  const response = parseGeminiJson(raw);
  const blocked = promptBlockError(response);
  if (blocked !== null) throw blocked;
  const responseId = String(response['responseId'] ?? '');
  const candidate = ((response['candidates'] as GeminiCandidate[] | undefined) ?? [])[0];
  let text = '';
  let reasoning = '';
  const toolCalls: ChatToolCall[] = [];
  for (const part of candidate?.content?.parts ?? []) {
    if (part.functionCall !== undefined) {
      toolCalls.push({
        id: toolCallId(responseId, toolCalls.length, part.thoughtSignature),
        type: 'function',
        function: { name: part.functionCall.name ?? '', arguments: JSON.stringify(part.functionCall.args ?? {}) },
      });
    } else if (typeof part.text === 'string') {
      if (part.thought === true) reasoning += part.text;
      else text += part.text;
    }
  }
  const finishReason = mapFinishReason(candidate?.finishReason, toolCalls.length > 0);
  const usage = mapUsage(response['usageMetadata'] as UsageMetadata | undefined);
  const body = buildChatCompletion({
    id: responseId,
    model: String(response['modelVersion'] ?? fallbackModel),
    created: nowSeconds(),
    message: {
      content: text === '' && toolCalls.length > 0 ? null : text,
      toolCalls,
      reasoning,
      refusal: finishReason === 'content_filter' ? `gemini stopped the answer (finishReason ${candidate?.finishReason ?? ''})` : null,
    },
    finishReason,
    usage,
  });
  return { body, usage };
}
