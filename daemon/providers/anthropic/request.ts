// OpenAI chat request → Anthropic Messages request body. System and developer messages are
// merged into `system`; turns alternate (toTurns; OpenAI tool results become user turns of
// tool_result blocks).
// `response_format` json has no native equivalent: it becomes the forced JSON_TOOL (json-tool.ts).
import { GatewayError } from '../../../shared/errors.js';
import type { JsonObject } from '../../pipeline/context.js';
import {
  parseDataUrl,
  parseToolArguments,
  rejectUnsupported,
  requestedMaxTokens,
  stopSequences,
  textOf,
  toolCallIdOf,
  toTurns,
  type ChatContentPart,
  type ChatRequestIn,
} from '../openai-shapes.js';
import { JSON_TOOL, JSON_TOOL_DESCRIPTION, jsonToolSchema, usesJsonTool } from '../json-tool.js';

export const DEFAULT_MAX_TOKENS = 4096;

/** reasoning_effort → thinking budget (Anthropic's minimum budget is 1024). */
const THINKING_BUDGET: Record<string, number> = { minimal: 1024, low: 1024, medium: 4096, high: 16384 };

type Block = JsonObject & { type: string };
interface Turn {
  role: 'user' | 'assistant';
  content: Block[];
}

export interface AnthropicRequestOptions {
  /** max_tokens when the client sent none (Anthropic requires it). */
  defaultMaxTokens?: number;
  /** Place prompt-cache breakpoints (options.prompt_caching, on unless "off"). */
  promptCaching?: boolean;
}

export function toAnthropicRequest(req: ChatRequestIn, model: string, options: AnthropicRequestOptions = {}): JsonObject {
  rejectUnsupported(req, 'anthropic');
  const conversation = toTurns<Turn['role'], Block>(req, 'anthropic', {
    assistantRole: 'assistant',
    user: (message, param) => userBlocks(message.content, param),
    assistant: (message, param) => {
      const blocks = assistantTextBlocks(message.content);
      (message.tool_calls ?? []).forEach((call, j) => {
        blocks.push({
          type: 'tool_use',
          id: call.id,
          name: call.function.name,
          input: parseToolArguments(call.function.arguments, `${param}.tool_calls[${j}].function.arguments`),
        });
      });
      return blocks;
    },
    tool: (message, param) => [{ type: 'tool_result', tool_use_id: toolCallIdOf(message, param), content: textOf(message.content) }],
  });
  const system: Block[] = conversation.system.map((text) => ({ type: 'text', text }));
  const turns: Turn[] = conversation.turns.map(({ role, blocks }) => ({ role, content: blocks }));

  const body: JsonObject = {
    model,
    max_tokens: requestedMaxTokens(req) ?? options.defaultMaxTokens ?? DEFAULT_MAX_TOKENS,
    messages: turns,
  };
  if (system.length > 0) body['system'] = system;
  if (typeof req.temperature === 'number') body['temperature'] = req.temperature;
  if (typeof req.top_p === 'number') body['top_p'] = req.top_p;
  if (typeof req['top_k'] === 'number') body['top_k'] = req['top_k'];
  const stop = stopSequences(req);
  if (stop !== undefined) body['stop_sequences'] = stop;
  if (req.stream === true) body['stream'] = true;
  if (typeof req.user === 'string') body['metadata'] = { user_id: req.user };
  const effort = req.reasoning_effort;
  if (typeof effort === 'string' && effort !== 'none' && !continuesToolUse(turns)) {
    const budget = THINKING_BUDGET[effort];
    if (budget === undefined) {
      throw new GatewayError('invalid_request', `unknown reasoning_effort "${effort}"`, { param: 'reasoning_effort' });
    }
    body['thinking'] = { type: 'enabled', budget_tokens: budget };
    // Anthropic needs room for the answer beyond the thinking budget.
    if ((body['max_tokens'] as number) <= budget) body['max_tokens'] = budget + DEFAULT_MAX_TOKENS;
  }
  Object.assign(body, toolFields(req));
  if (options.promptCaching === true) addCacheBreakpoints(body, turns);
  return body;
}

const EPHEMERAL = { type: 'ephemeral' } as const;

/**
 * Anthropic caches a prompt prefix only up to blocks marked cache_control (at most 4), and
 * OpenAI-shaped requests (and /v1/messages after translation) carry no marks. The usual
 * marks for a growing conversation: the tool list, the system prompt, the newest user turn
 * (this request writes the cache) and the user turn before it (this request reads what the
 * previous one wrote). Prefixes below the model's minimum length are simply not cached.
 */
function addCacheBreakpoints(body: JsonObject, turns: readonly Turn[]): void {
  const marked = [(body['tools'] as Block[] | undefined)?.at(-1), (body['system'] as Block[] | undefined)?.at(-1)];
  for (const turn of turns.filter((candidate) => candidate.role === 'user').slice(-2)) marked.push(turn.content.at(-1));
  for (const block of marked) if (block !== undefined) block['cache_control'] = EPHEMERAL;
}

/**
 * With thinking on, Anthropic requires the last assistant turn of a tool loop to start with
 * its signed thinking block, which OpenAI-shaped histories cannot carry. Such a turn is sent
 * without extended thinking (allowed, and the model still answers from the tool results)
 * rather than failing with a 400.
 */
function continuesToolUse(turns: readonly Turn[]): boolean {
  const lastAssistant = turns.findLast((turn) => turn.role === 'assistant');
  return lastAssistant?.content.some((block) => block.type === 'tool_use') === true;
}

function userBlocks(content: ChatRequestIn['messages'][number]['content'], param: string): Block[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  const blocks: Block[] = [];
  content.forEach((part, k) => {
    const block = userPart(part, `${param}[${k}]`);
    if (block !== null) blocks.push(block);
  });
  return blocks;
}

function userPart(part: ChatContentPart, param: string): Block | null {
  switch (part.type) {
    case 'text':
      return part.text === undefined || part.text === '' ? null : { type: 'text', text: part.text };
    case 'image_url': {
      const url = part.image_url?.url;
      if (typeof url !== 'string') throw new GatewayError('invalid_request', 'image_url.url is required', { param });
      const data = parseDataUrl(url, `${param}.image_url.url`);
      const source = data === null ? { type: 'url', url } : { type: 'base64', media_type: data.mediaType, data: data.base64 };
      return { type: 'image', source };
    }
    case 'file': {
      const data = typeof part.file?.file_data === 'string' ? parseDataUrl(part.file.file_data, `${param}.file.file_data`) : null;
      if (data === null || data.mediaType !== 'application/pdf') {
        throw new GatewayError('unsupported_feature', 'only inline PDF files (file_data as a data URL) are supported by anthropic', {
          param,
        });
      }
      return { type: 'document', source: { type: 'base64', media_type: data.mediaType, data: data.base64 } };
    }
    default:
      throw new GatewayError('unsupported_feature', `content part type "${part.type}" is not supported by anthropic`, { param });
  }
}

function assistantTextBlocks(content: ChatRequestIn['messages'][number]['content']): Block[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  const blocks: Block[] = [];
  for (const part of content) {
    const text = part.type === 'text' ? part.text : part.type === 'refusal' ? part.refusal : undefined;
    if (typeof text === 'string' && text !== '') blocks.push({ type: 'text', text });
  }
  return blocks;
}

function toolFields(req: ChatRequestIn): JsonObject {
  const tools: JsonObject[] = [];
  (req.tools ?? []).forEach((tool, i) => {
    if (tool.type !== 'function' || tool.function === undefined) {
      throw new GatewayError('unsupported_feature', `tool type "${tool.type}" is not supported by anthropic`, {
        param: `tools[${i}].type`,
      });
    }
    const entry: JsonObject = {
      name: tool.function.name,
      input_schema: tool.function.parameters ?? { type: 'object', properties: {} },
    };
    if (tool.function.description !== undefined) entry['description'] = tool.function.description;
    tools.push(entry);
  });

  let choice: JsonObject | undefined = toolChoice(req);
  if (usesJsonTool(req)) {
    tools.push({ name: JSON_TOOL, description: JSON_TOOL_DESCRIPTION, input_schema: jsonToolSchema(req) });
    // With the client's own tools present the model may still call them; otherwise force JSON.
    choice = tools.length === 1 ? { type: 'tool', name: JSON_TOOL } : { type: 'any' };
  }
  if (tools.length === 0) return {};
  const fields: JsonObject = { tools };
  if (choice !== undefined) {
    if (req.parallel_tool_calls === false && choice['type'] !== 'none') choice['disable_parallel_tool_use'] = true;
    fields['tool_choice'] = choice;
  }
  return fields;
}

function toolChoice(req: ChatRequestIn): JsonObject | undefined {
  const choice = req.tool_choice;
  if (choice === undefined) return req.parallel_tool_calls === false ? { type: 'auto' } : undefined;
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'any' };
  if (typeof choice === 'object' && choice.type === 'function' && typeof choice.function?.name === 'string') {
    return { type: 'tool', name: choice.function.name };
  }
  throw new GatewayError('invalid_request', 'tool_choice must be auto, none, required or a function', { param: 'tool_choice' });
}
