// Bedrock Converse response → OpenAI chat.completion; stop reasons and usage shared with the
// stream decoder. Converse answers carry no id: one is made up per answer.
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../../../shared/errors.js';
import type { JsonObject, Usage } from '../../pipeline/context.js';
import { buildChatCompletion, nowSeconds, totalUsage, type ChatToolCall, type FinishReason } from '../openai-shapes.js';
import { JSON_TOOL } from '../json-tool.js';

export function mapStopReason(reason: unknown): FinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    default:
      return 'stop'; // end_turn, stop_sequence
  }
}

export interface ConverseUsage {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

/** Like Anthropic: inputTokens exclude cache reads and writes, OpenAI's prompt_tokens include them. */
export function mapUsage(usage: ConverseUsage | undefined): Usage {
  const cacheRead = usage?.cacheReadInputTokens ?? 0;
  const cacheWrite = usage?.cacheWriteInputTokens ?? 0;
  const prompt = (usage?.inputTokens ?? 0) + cacheRead + cacheWrite;
  return totalUsage(prompt, usage?.outputTokens ?? 0, cacheRead, cacheWrite);
}

export function completionId(): string {
  return `chatcmpl-${randomUUID()}`;
}

interface ConverseBlock {
  text?: string;
  toolUse?: { toolUseId?: string; name?: string; input?: unknown };
  reasoningContent?: { reasoningText?: { text?: string } };
}

export function fromConverseResponse(raw: string, model: string, jsonTool: boolean): { body: JsonObject; usage: Usage } {
  let response: JsonObject;
  try {
    response = JSON.parse(raw) as JsonObject;
  } catch (cause) {
    throw new GatewayError('upstream_error', 'bedrock returned a body that is not JSON', { cause });
  }
  const message = (response['output'] as { message?: { content?: ConverseBlock[] } } | undefined)?.message;
  let text = '';
  let reasoning = '';
  let answeredWithJsonTool = false;
  const toolCalls: ChatToolCall[] = [];
  for (const block of message?.content ?? []) {
    if (typeof block.text === 'string') text += block.text;
    else if (block.reasoningContent?.reasoningText?.text !== undefined) reasoning += block.reasoningContent.reasoningText.text;
    else if (block.toolUse !== undefined) {
      if (jsonTool && block.toolUse.name === JSON_TOOL) {
        text += JSON.stringify(block.toolUse.input ?? {});
        answeredWithJsonTool = true;
      } else {
        toolCalls.push({
          id: block.toolUse.toolUseId ?? '',
          type: 'function',
          function: { name: block.toolUse.name ?? '', arguments: JSON.stringify(block.toolUse.input ?? {}) },
        });
      }
    }
  }
  let finishReason = mapStopReason(response['stopReason']);
  if (answeredWithJsonTool && toolCalls.length === 0) finishReason = 'stop';
  const usage = mapUsage(response['usage'] as ConverseUsage | undefined);
  const body = buildChatCompletion({
    id: completionId(),
    model,
    created: nowSeconds(),
    message: {
      content: text === '' && toolCalls.length > 0 ? null : text,
      toolCalls,
      reasoning,
      refusal: finishReason === 'content_filter' ? `bedrock stopped the answer (${String(response['stopReason'])})` : null,
    },
    finishReason,
    usage,
  });
  return { body, usage };
}
