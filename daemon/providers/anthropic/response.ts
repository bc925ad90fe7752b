// Anthropic Messages response → OpenAI chat.completion, plus the stop-reason and usage
// mappings the stream decoder shares. Anthropic's input_tokens exclude cache reads and cache
// writes; OpenAI's prompt_tokens include them, with reads in prompt_tokens_details.cached_tokens.
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
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop'; // end_turn, stop_sequence, pause_turn
  }
}

export interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

export function mapUsage(usage: AnthropicUsage | undefined): Usage {
  const cacheRead = usage?.cache_read_input_tokens ?? 0;
  const cacheWrite = usage?.cache_creation_input_tokens ?? 0;
  const prompt = (usage?.input_tokens ?? 0) + cacheRead + cacheWrite;
  return totalUsage(prompt, usage?.output_tokens ?? 0, cacheRead, cacheWrite);
}

interface ContentBlock {
  type: string;
  text?: string;
  thinking?: string;
  id?: string;
  name?: string;
  input?: unknown;
}

export function fromAnthropicResponse(raw: string, jsonTool: boolean): { body: JsonObject; usage: Usage } {
  let message: JsonObject;
  try {
    message = JSON.parse(raw) as JsonObject;
  } catch (cause) {
    throw new GatewayError('upstream_error', 'anthropic returned a body that is not JSON', { cause });
  }
  const blocks = Array.isArray(message['content']) ? (message['content'] as ContentBlock[]) : [];
  let text = '';
  let reasoning = '';
  const toolCalls: ChatToolCall[] = [];
  let answeredWithJsonTool = false;
  for (const block of blocks) {
    if (block.type === 'text') text += block.text ?? '';
    else if (block.type === 'thinking') reasoning += block.thinking ?? '';
    else if (block.type === 'tool_use') {
      if (jsonTool && block.name === JSON_TOOL) {
        text += JSON.stringify(block.input ?? {});
        answeredWithJsonTool = true;
      } else {
        toolCalls.push({
          id: block.id ?? '',
          type: 'function',
          function: { name: block.name ?? '', arguments: JSON.stringify(block.input ?? {}) },
        });
      }
    }
  }
  let finishReason = mapStopReason(message['stop_reason']);
  if (answeredWithJsonTool && toolCalls.length === 0) finishReason = 'stop';
  const details = message['stop_details'] as { explanation?: string } | undefined;
  const usage = mapUsage(message['usage'] as AnthropicUsage | undefined);
  const body = buildChatCompletion({
    id: String(message['id'] ?? ''),
    model: String(message['model'] ?? ''),
    created: nowSeconds(),
    message: {
      content: text === '' && toolCalls.length > 0 ? null : text,
      toolCalls,
      reasoning,
      refusal: finishReason === 'content_filter' ? (details?.explanation ?? 'refused') : null,
    },
    finishReason,
    usage,
  });
  return { body, usage };
}
