// Anthropic Messages request → the gateway's OpenAI chat hub request, so /v1/messages runs
// the same pipeline (auth, policy, redaction, routing, audit) and reaches any provider.
// Lossy where OpenAI has no field: cache_control and citations are dropped; thinking becomes
// reasoning_effort (by budget); server tools (web search, code execution, …) and MCP servers
// are refused with a 400 naming the field.
import { GatewayError } from '../../../shared/errors.js';
import type { AnthropicMessagesRequest } from '../../../shared/schemas/anthropic.js';
import type { GatewayRequest, JsonObject } from '../../pipeline/context.js';

interface Block {
  type: string;
  text?: string;
  source?: { type?: string; media_type?: string; data?: string; url?: string };
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: string | Block[];
  is_error?: boolean;
}

const UNSUPPORTED_FIELDS = ['mcp_servers', 'container'] as const;

function sourceUrl(block: Block, param: string): string {
  const source = block.source;
  if (source?.type === 'base64' && typeof source.data === 'string') return `data:${source.media_type ?? 'application/octet-stream'};base64,${source.data}`;
  if (source?.type === 'url' && typeof source.url === 'string') return source.url;
  throw new GatewayError('unsupported_feature', `${block.type} source type "${source?.type ?? ''}" is not supported (use base64 or url)`, { param: `${param}.source` });
}

function textOfBlocks(content: string | Block[] | undefined): string {
  if (content === undefined) return '';
  if (typeof content === 'string') return content;
  return content.map((block) => (block.type === 'text' ? (block.text ?? '') : '')).join('');
}

function effortForBudget(budget: number): string {
  if (budget <= 2048) return 'low';
  if (budget <= 8192) return 'medium';
  return 'high';
}

export function messagesToChat(req: AnthropicMessagesRequest): GatewayRequest['body'] {
  for (const field of UNSUPPORTED_FIELDS) {
    if (req[field] !== undefined) throw new GatewayError('unsupported_feature', `${field} is not supported by this gateway`, { param: field });
  }
  const messages: JsonObject[] = [];
  const system = typeof req.system === 'string' ? req.system : textOfBlocks(req.system as Block[] | undefined);
  if (system !== '') messages.push({ role: 'system', content: system });

  req.messages.forEach((message, i) => {
    const param = `messages[${i}].content`;
    const blocks: Block[] = typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : (message.content as Block[]);
    if (message.role === 'assistant') {
      let text = '';
      const toolCalls: JsonObject[] = [];
      for (const block of blocks) {
        if (block.type === 'text') text += block.text ?? '';
        else if (block.type === 'tool_use') {
          toolCalls.push({ id: block.id ?? '', type: 'function', function: { name: block.name ?? '', arguments: JSON.stringify(block.input ?? {}) } });
        }
        // thinking / redacted_thinking: the hub has no place for them; providers re-think.
      }
      const out: JsonObject = { role: 'assistant', content: text === '' && toolCalls.length > 0 ? null : text };
      if (toolCalls.length > 0) out['tool_calls'] = toolCalls;
      messages.push(out);
      return;
    }
    // A user turn: tool results first (OpenAI wants them right after the assistant's calls),
    // then the rest as one user message.
    const parts: JsonObject[] = [];
    blocks.forEach((block, k) => {
      const at = `${param}[${k}]`;
      switch (block.type) {
        case 'tool_result': {
          const text = textOfBlocks(block.content);
          messages.push({ role: 'tool', tool_call_id: block.tool_use_id ?? '', content: block.is_error === true ? `Error: ${text}` : text });
          break;
        }
        case 'text':
          if (block.text !== undefined && block.text !== '') parts.push({ type: 'text', text: block.text });
          break;
        case 'image':
          parts.push({ type: 'image_url', image_url: { url: sourceUrl(block, at) } });
          break;
        case 'document':
          parts.push({ type: 'file', file: { file_data: sourceUrl(block, at), filename: 'document.pdf' } });
          break;
        default:
          throw new GatewayError('unsupported_feature', `content block type "${block.type}" is not supported by this gateway`, { param: `${at}.type` });
      }
    });
    if (parts.length > 0) {
      const onlyText = parts.every((part) => part['type'] === 'text');
      messages.push({ role: 'user', content: onlyText ? parts.map((part) => part['text']).join('\n') : parts });
    }
  });

  const body: GatewayRequest['body'] = { model: req.model, messages, max_tokens: req.max_tokens };
  if (req.stream === true) {
    body['stream'] = true;
    body['stream_options'] = { include_usage: true };
  }
  if (req.temperature !== undefined) body['temperature'] = req.temperature;
  if (req.top_p !== undefined) body['top_p'] = req.top_p;
  if (req.stop_sequences !== undefined && req.stop_sequences.length > 0) body['stop'] = req.stop_sequences;
  const userId = (req['metadata'] as { user_id?: unknown } | undefined)?.user_id;
  if (typeof userId === 'string') body['user'] = userId;
  const thinking = req['thinking'] as { type?: string; budget_tokens?: number } | undefined;
  if (thinking?.type === 'enabled' && typeof thinking.budget_tokens === 'number') body['reasoning_effort'] = effortForBudget(thinking.budget_tokens);

  const tools = (req.tools ?? []) as { name: string; type?: string; description?: string; input_schema?: JsonObject }[];
  if (tools.length > 0) {
    body['tools'] = tools.map((tool, i) => {
      if (tool.type !== undefined && tool.type !== 'custom') {
        throw new GatewayError('unsupported_feature', `server tool "${tool.type}" is not supported by this gateway; only custom tools are`, { param: `tools[${i}].type` });
      }
      const fn: JsonObject = { name: tool.name, parameters: tool.input_schema ?? { type: 'object', properties: {} } };
      if (tool.description !== undefined) fn['description'] = tool.description;
      return { type: 'function', function: fn };
    });
  }
  const choice = req['tool_choice'] as { type?: string; name?: string; disable_parallel_tool_use?: boolean } | undefined;
  if (choice !== undefined && tools.length > 0) {
    if (choice.type === 'auto') body['tool_choice'] = 'auto';
    else if (choice.type === 'any') body['tool_choice'] = 'required';
    else if (choice.type === 'none') body['tool_choice'] = 'none';
    else if (choice.type === 'tool' && typeof choice.name === 'string') body['tool_choice'] = { type: 'function', function: { name: choice.name } };
    else throw new GatewayError('invalid_request', 'tool_choice.type must be auto, any, tool or none', { param: 'tool_choice.type' });
    if (choice.disable_parallel_tool_use === true) body['parallel_tool_calls'] = false;
  }
  return body;
}
