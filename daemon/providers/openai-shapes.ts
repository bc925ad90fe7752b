// The OpenAI chat shapes the non-OpenAI wires (anthropic, bedrock, gemini) read and build:
// the hub request fields they translate, and builders for chat.completion bodies and
// chat.completion.chunk objects, so every wire answers in exactly the same OpenAI shape.
import { GatewayError } from '../../shared/errors.js';
import type { JsonObject, Usage } from '../pipeline/context.js';

export interface ChatContentPart {
  type: string;
  text?: string;
  image_url?: { url: string; detail?: string };
  refusal?: string;
  file?: { file_data?: string; filename?: string; file_id?: string };
  [key: string]: unknown;
}

export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatMessageIn {
  role: string;
  content?: string | ChatContentPart[] | null;
  name?: string;
  tool_calls?: ChatToolCall[];
  tool_call_id?: string;
  [key: string]: unknown;
}

export interface ChatTool {
  type: string;
  function?: { name: string; description?: string; parameters?: JsonObject; strict?: boolean };
}

export type ChatToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

export interface ChatRequestIn {
  model: string;
  messages: ChatMessageIn[];
  stream?: boolean;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  stop?: string | string[] | null;
  n?: number | null;
  tools?: ChatTool[];
  tool_choice?: ChatToolChoice;
  parallel_tool_calls?: boolean;
  response_format?: { type: string; json_schema?: { name?: string; schema?: JsonObject; strict?: boolean } };
  user?: string;
  reasoning_effort?: string | null;
  logprobs?: boolean | null;
  [key: string]: unknown;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export function asChatRequest(body: JsonObject): ChatRequestIn {
  if (!Array.isArray(body['messages'])) {
    throw new GatewayError('invalid_request', 'messages must be an array', { param: 'messages' });
  }
  return body as ChatRequestIn;
}

/** The requested output limit, whichever of OpenAI's two names the client used. */
export function requestedMaxTokens(req: ChatRequestIn): number | undefined {
  const value = req.max_completion_tokens ?? req.max_tokens;
  return typeof value === 'number' ? value : undefined;
}

export function stopSequences(req: ChatRequestIn): string[] | undefined {
  if (req.stop === undefined || req.stop === null) return undefined;
  const list = typeof req.stop === 'string' ? [req.stop] : req.stop;
  return list.length > 0 ? list : undefined;
}

/** Text of a message's content (string or text parts), for roles that only carry text. */
export function textOf(content: ChatMessageIn['content']): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  return content
    .map((part) => (part.type === 'text' ? (part.text ?? '') : ''))
    .join('');
}

/** Tool call arguments are a JSON string in OpenAI; the other APIs want an object. */
export function parseToolArguments(args: string, param: string): JsonObject {
  if (args.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    throw new GatewayError('invalid_request', 'tool call arguments are not valid JSON', { param });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new GatewayError('invalid_request', 'tool call arguments must be a JSON object', { param });
  }
  return parsed as JsonObject;
}

export interface DataUrl {
  mediaType: string;
  base64: string;
}

/** `data:image/png;base64,…` → its parts; null for http(s) URLs. */
export function parseDataUrl(url: string, param: string): DataUrl | null {
  if (!url.startsWith('data:')) return null;
  const comma = url.indexOf(',');
  const meta = comma === -1 ? '' : url.slice(5, comma);
  if (comma === -1 || !meta.endsWith(';base64')) {
    throw new GatewayError('invalid_request', 'image data URLs must be base64 encoded (data:<type>;base64,…)', { param });
  }
  return { mediaType: meta.slice(0, -';base64'.length), base64: url.slice(comma + 1) };
}

/** One turn of a conversation in the alternating shape Anthropic, Bedrock and Gemini want. */
export interface Turn<Role extends string, Block> {
  role: Role;
  blocks: Block[];
}

/** How one provider turns each kind of OpenAI message into its blocks. */
export interface TurnTranslation<Role extends string, Block> {
  /** The role an assistant message takes ('assistant', or Gemini's 'model'). */
  readonly assistantRole: Role;
  readonly user: (message: ChatMessageIn, param: string) => Block[];
  readonly assistant: (message: ChatMessageIn, param: string) => Block[];
  /** A tool result; it travels in a user turn. */
  readonly tool: (message: ChatMessageIn, param: string) => Block[];
}

/**
 * An OpenAI chat history → system text + alternating user/assistant turns. System and
 * developer messages are collected apart; consecutive blocks of one role merge into one turn
 * (these APIs refuse two user turns in a row, and a tool result is a user turn). Raises the
 * errors every translation shares: an unknown role, and no user or assistant message at all.
 */
export function toTurns<Role extends string, Block>(
  req: ChatRequestIn,
  provider: string,
  translate: TurnTranslation<Role | 'user', Block>,
): { system: string[]; turns: Turn<Role | 'user', Block>[] } {
  const system: string[] = [];
  const turns: Turn<Role | 'user', Block>[] = [];
  const push = (role: Role | 'user', blocks: Block[]): void => {
    if (blocks.length === 0) return;
    const last = turns[turns.length - 1];
    if (last !== undefined && last.role === role) last.blocks.push(...blocks);
    else turns.push({ role, blocks });
  };
  req.messages.forEach((message, i) => {
    const param = `messages[${i}]`;
    switch (message.role) {
      case 'system':
      case 'developer': {
        const text = textOf(message.content);
        if (text !== '') system.push(text);
        break;
      }
      case 'user':
        push('user', translate.user(message, `${param}.content`));
        break;
      case 'assistant':
        push(translate.assistantRole, translate.assistant(message, param));
        break;
      case 'tool':
        push('user', translate.tool(message, param));
        break;
      default:
        throw new GatewayError('unsupported_feature', `message role "${message.role}" is not supported by ${provider}`, { param: `${param}.role` });
    }
  });
  if (turns.length === 0) {
    throw new GatewayError('invalid_request', 'at least one user or assistant message is required', { param: 'messages' });
  }
  return { system, turns };
}

/** The id a tool result answers; Anthropic and Bedrock need it. */
export function toolCallIdOf(message: ChatMessageIn, param: string): string {
  if (typeof message.tool_call_id !== 'string') {
    throw new GatewayError('invalid_request', 'tool messages need tool_call_id', { param: `${param}.tool_call_id` });
  }
  return message.tool_call_id;
}

export function rejectUnsupported(req: ChatRequestIn, provider: string): void {
  if (typeof req.n === 'number' && req.n > 1) {
    throw new GatewayError('unsupported_feature', `n > 1 is not supported by ${provider}`, { param: 'n' });
  }
  if (req.logprobs === true) {
    throw new GatewayError('unsupported_feature', `logprobs is not supported by ${provider}`, { param: 'logprobs' });
  }
}

export function usageBody(usage: Usage): JsonObject {
  const body: JsonObject = {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.totalTokens,
  };
  if (usage.cachedTokens !== undefined) body['prompt_tokens_details'] = { cached_tokens: usage.cachedTokens };
  // Not in OpenAI's schema (clients ignore it): lets /v1/messages report cache_creation_input_tokens.
  if (usage.cacheWriteTokens !== undefined && usage.cacheWriteTokens > 0) {
    body['prompt_tokens_details'] = { cached_tokens: usage.cachedTokens ?? 0, cache_write_tokens: usage.cacheWriteTokens };
  }
  return body;
}

export interface AssistantMessage {
  content: string | null;
  toolCalls: ChatToolCall[];
  /** Reasoning text (Anthropic thinking, Bedrock reasoningContent, Gemini thoughts). */
  reasoning?: string;
  refusal?: string | null;
}

export function buildChatCompletion(args: {
  id: string;
  model: string;
  created: number;
  message: AssistantMessage;
  finishReason: FinishReason;
  usage: Usage;
}): JsonObject {
  const message: JsonObject = { role: 'assistant', content: args.message.content, refusal: args.message.refusal ?? null };
  if (args.message.toolCalls.length > 0) message['tool_calls'] = args.message.toolCalls;
  if (args.message.reasoning !== undefined && args.message.reasoning !== '') {
    message['reasoning_content'] = args.message.reasoning;
  }
  return {
    id: args.id,
    object: 'chat.completion',
    created: args.created,
    model: args.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: args.finishReason }],
    usage: usageBody(args.usage),
    system_fingerprint: null,
  };
}

/** Builds chat.completion.chunk objects for one stream with a fixed id/model/created. */
export class ChunkBuilder {
  constructor(
    private readonly id: string,
    private readonly model: string,
    private readonly created: number,
  ) {}

  delta(delta: JsonObject, finishReason: FinishReason | null = null): JsonObject {
    return {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    };
  }

  role(): JsonObject {
    return this.delta({ role: 'assistant', content: '' });
  }

  text(text: string): JsonObject {
    return this.delta({ content: text });
  }

  reasoning(text: string): JsonObject {
    return this.delta({ reasoning_content: text });
  }

  toolCallStart(index: number, id: string, name: string, args = ''): JsonObject {
    return this.delta({ tool_calls: [{ index, id, type: 'function', function: { name, arguments: args } }] });
  }

  toolCallArgs(index: number, args: string): JsonObject {
    return this.delta({ tool_calls: [{ index, function: { arguments: args } }] });
  }

  finish(reason: FinishReason): JsonObject {
    return this.delta({}, reason);
  }

  /** The final usage chunk (`choices: []`), as OpenAI sends with stream_options.include_usage. */
  usage(usage: Usage): JsonObject {
    return {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [],
      usage: usageBody(usage),
    };
  }
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function totalUsage(prompt: number, completion: number, cached?: number, cacheWrites?: number): Usage {
  const usage: Usage = { promptTokens: prompt, completionTokens: completion, totalTokens: prompt + completion };
  if (cached !== undefined) usage.cachedTokens = cached;
  if (cacheWrites !== undefined && cacheWrites > 0) usage.cacheWriteTokens = cacheWrites;
  return usage;
}

/**
 * Reasoning text of a chat message or delta: `reasoning_content` (DeepSeek, vLLM, the wires
 * here) or `reasoning` (OpenRouter, Ollama), whichever the upstream used.
 */
export function reasoningTextOf(holder: { reasoning_content?: unknown; reasoning?: unknown }): string {
  const text = holder.reasoning_content ?? holder.reasoning;
  return typeof text === 'string' ? text : '';
}
