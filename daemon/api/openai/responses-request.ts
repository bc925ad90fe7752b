// OpenAI Responses request → the gateway's chat hub request, so POST /v1/responses runs the
// same pipeline as chat (auth, policy, redaction, routing to any provider, audit).
// The gateway serves the stateless subset: input items and instructions, function tools and
// their function_call / function_call_output items, text.format, reasoning.effort, streaming.
// Anything that needs server-side state or OpenAI's hosted tools (store: true,
// previous_response_id, conversation, background, built-in tools, item references, …) is
// refused with a 400 naming the parameter, never silently ignored.
import { GatewayError } from '../../../shared/errors.js';
import type { ResponsesRequest } from '../../../shared/schemas/responses.js';
import type { GatewayRequest, JsonObject } from '../../pipeline/context.js';

/** Parameters that only make sense with server-side state or OpenAI-only machinery. */
const REFUSED: Readonly<Record<string, string>> = {
  previous_response_id: 'previous_response_id needs stored responses; this gateway is stateless: send the whole conversation as input items (with store: false)',
  conversation: 'conversation needs stored conversations; this gateway is stateless: send the whole conversation as input items',
  prompt: 'prompt templates are stored on OpenAI and are not supported by this gateway',
  max_tool_calls: 'max_tool_calls applies to built-in tools, which this gateway does not support',
};

/** `include` values we can honour: encrypted reasoning is asked for by stateless clients (Codex) and simply never returned. */
const ACCEPTED_INCLUDES = new Set(['reasoning.encrypted_content']);

interface InputPart {
  type?: string;
  text?: string;
  image_url?: string;
  file_id?: string;
  file_data?: string;
  filename?: string;
  detail?: string;
  refusal?: string;
}

interface InputItem {
  type?: string;
  role?: string;
  content?: string | InputPart[];
  call_id?: string;
  name?: string;
  arguments?: string;
  output?: string | InputPart[];
}

function unsupported(message: string, param: string): GatewayError {
  return new GatewayError('unsupported_feature', message, { param });
}

function refuseState(req: ResponsesRequest): void {
  if (req.store === true) {
    throw unsupported('store: true is not supported: this gateway keeps no responses (send store: false and the whole conversation as input)', 'store');
  }
  if (req['background'] === true) throw unsupported('background responses are not supported by this gateway', 'background');
  for (const [param, message] of Object.entries(REFUSED)) {
    if (req[param] !== undefined && req[param] !== null) throw unsupported(message, param);
  }
  if (req['truncation'] === 'auto') throw unsupported("truncation: 'auto' is not supported; use 'disabled'", 'truncation');
  const includes = (req['include'] ?? []) as unknown[];
  includes.forEach((value, i) => {
    if (typeof value !== 'string' || !ACCEPTED_INCLUDES.has(value)) {
      throw unsupported(`include value ${JSON.stringify(value)} is not supported by this gateway`, `include[${i}]`);
    }
  });
}

function fileUrlOf(part: InputPart, param: string): string {
  if (typeof part.file_data === 'string') return part.file_data;
  throw unsupported('file_id references OpenAI file storage and is not supported; send file_data', `${param}.file_id`);
}

/** Content parts of a user/system message in chat shape (plain string when text only). */
function chatContent(content: string | InputPart[] | undefined, param: string): string | JsonObject[] {
  if (content === undefined) return '';
  if (typeof content === 'string') return content;
  const parts = content.map((part, k): JsonObject => {
    const at = `${param}[${k}]`;
    switch (part.type) {
      case 'input_text':
      case 'output_text':
        return { type: 'text', text: part.text ?? '' };
      case 'refusal':
        return { type: 'text', text: part.refusal ?? '' };
      case 'input_image': {
        if (typeof part.image_url !== 'string') throw unsupported('file_id images reference OpenAI file storage and are not supported; send image_url', `${at}.file_id`);
        const image: JsonObject = { url: part.image_url };
        if (part.detail !== undefined) image['detail'] = part.detail;
        return { type: 'image_url', image_url: image };
      }
      case 'input_file':
        return { type: 'file', file: { file_data: fileUrlOf(part, at), filename: part.filename ?? 'file' } };
      default:
        throw unsupported(`content part type "${String(part.type)}" is not supported by this gateway`, `${at}.type`);
    }
  });
  return parts.every((part) => part['type'] === 'text') ? parts.map((part) => part['text']).join('') : parts;
}

function textOfParts(content: string | InputPart[] | undefined): string {
  if (content === undefined) return '';
  if (typeof content === 'string') return content;
  return content.map((part) => part.text ?? part.refusal ?? '').join('');
}

function inputMessages(input: ResponsesRequest['input']): JsonObject[] {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  const messages: JsonObject[] = [];
  (input as InputItem[]).forEach((item, i) => {
    const at = `input[${i}]`;
    const type = item.type ?? 'message';
    switch (type) {
      case 'message': {
        const role = item.role;
        if (role !== 'user' && role !== 'assistant' && role !== 'system' && role !== 'developer') {
          throw new GatewayError('invalid_request', 'role must be user, assistant, system or developer', { param: `${at}.role` });
        }
        if (role === 'assistant') messages.push({ role, content: textOfParts(item.content) });
        // Providers other than OpenAI know "system" only; OpenAI maps it to developer itself.
        else messages.push({ role: role === 'developer' ? 'system' : role, content: chatContent(item.content, `${at}.content`) });
        return;
      }
      case 'function_call': {
        if (typeof item.call_id !== 'string' || typeof item.name !== 'string') {
          throw new GatewayError('invalid_request', 'function_call items need call_id and name', { param: at });
        }
        const call = { id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments ?? '{}' } };
        // Calls right after an assistant turn (or after each other) belong to that one assistant message.
        const last = messages.at(-1);
        if (last?.['role'] === 'assistant') {
          ((last['tool_calls'] ??= []) as JsonObject[]).push(call);
          if (last['content'] === '') last['content'] = null;
        } else {
          messages.push({ role: 'assistant', content: null, tool_calls: [call] });
        }
        return;
      }
      case 'function_call_output':
        if (typeof item.call_id !== 'string') throw new GatewayError('invalid_request', 'function_call_output items need call_id', { param: `${at}.call_id` });
        messages.push({ role: 'tool', tool_call_id: item.call_id, content: textOfParts(item.output) });
        return;
      case 'reasoning':
        // Reasoning of an earlier turn: providers reason afresh; encrypted content is OpenAI-only.
        return;
      case 'item_reference':
        throw unsupported('item_reference needs stored items; this gateway is stateless: send the item itself', `${at}.type`);
      default:
        throw unsupported(`input item type "${type}" is not supported by this gateway (built-in tools are not)`, `${at}.type`);
    }
  });
  return messages;
}

interface ResponsesTool {
  type: string;
  name?: string;
  description?: string | null;
  parameters?: JsonObject | null;
  strict?: boolean | null;
}

function chatTools(tools: ResponsesTool[]): JsonObject[] {
  return tools.map((tool, i) => {
    if (tool.type !== 'function') {
      throw unsupported(`tool type "${tool.type}" is a built-in OpenAI tool and is not supported by this gateway; only function tools are`, `tools[${i}].type`);
    }
    if (typeof tool.name !== 'string' || tool.name === '') throw new GatewayError('invalid_request', 'function tools need a name', { param: `tools[${i}].name` });
    const fn: JsonObject = { name: tool.name, parameters: tool.parameters ?? { type: 'object', properties: {} } };
    if (typeof tool.description === 'string') fn['description'] = tool.description;
    if (typeof tool.strict === 'boolean') fn['strict'] = tool.strict;
    return { type: 'function', function: fn };
  });
}

function chatToolChoice(choice: unknown): unknown {
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
  const named = choice as { type?: string; name?: string };
  if (named.type === 'function' && typeof named.name === 'string') return { type: 'function', function: { name: named.name } };
  throw unsupported('tool_choice must be auto, none, required or a function tool', 'tool_choice');
}

function responseFormat(format: { type?: string; name?: string; schema?: JsonObject; strict?: boolean | null; description?: string }): JsonObject | undefined {
  switch (format.type) {
    case undefined:
    case 'text':
      return undefined;
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema': {
      if (typeof format.name !== 'string' || format.schema === undefined) {
        throw new GatewayError('invalid_request', 'json_schema formats need name and schema', { param: 'text.format' });
      }
      const schema: JsonObject = { name: format.name, schema: format.schema };
      if (typeof format.strict === 'boolean') schema['strict'] = format.strict;
      if (typeof format.description === 'string') schema['description'] = format.description;
      return { type: 'json_schema', json_schema: schema };
    }
    default:
      throw unsupported(`text.format type "${format.type}" is not supported`, 'text.format.type');
  }
}

/** The chat hub request for a Responses request (throws a 400 GatewayError for what we refuse). */
export function responsesToChat(req: ResponsesRequest): GatewayRequest['body'] {
  refuseState(req);
  const messages: JsonObject[] = [];
  if (typeof req.instructions === 'string' && req.instructions !== '') messages.push({ role: 'system', content: req.instructions });
  messages.push(...inputMessages(req.input));
  if (messages.length === 0) throw new GatewayError('invalid_request', 'input must contain at least one item', { param: 'input' });

  const body: GatewayRequest['body'] = { model: req.model, messages };
  if (req.stream === true) {
    body['stream'] = true;
    body['stream_options'] = { include_usage: true };
  }
  if (typeof req.max_output_tokens === 'number') body['max_completion_tokens'] = req.max_output_tokens;
  for (const field of ['temperature', 'top_p', 'parallel_tool_calls', 'prompt_cache_key', 'safety_identifier', 'service_tier'] as const) {
    if (req[field] !== undefined && req[field] !== null) body[field] = req[field];
  }
  if (typeof req['user'] === 'string') body['user'] = req['user'];
  const effort = (req['reasoning'] as { effort?: unknown } | undefined | null)?.effort;
  if (typeof effort === 'string') body['reasoning_effort'] = effort;

  const text = req['text'] as { format?: JsonObject; verbosity?: unknown } | undefined | null;
  const format = text?.format === undefined ? undefined : responseFormat(text.format);
  if (format !== undefined) body['response_format'] = format;
  if (typeof text?.verbosity === 'string') body['verbosity'] = text.verbosity;

  const tools = (req.tools ?? []) as ResponsesTool[];
  if (tools.length > 0) body['tools'] = chatTools(tools);
  if (req['tool_choice'] !== undefined && req['tool_choice'] !== null && tools.length > 0) body['tool_choice'] = chatToolChoice(req['tool_choice']);
  return body;
}
