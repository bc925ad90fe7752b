// OpenAI chat request → Gemini generateContent body (Generative Language API and Vertex AI
// share it). Messages become `contents` of user/model turns; system and developer messages
// become `systemInstruction`; tool calls become functionCall parts and tool results
// functionResponse parts (named by looking the call id up in the conversation). Tool and
// response schemas are sent as JSON Schema (parametersJsonSchema / responseJsonSchema), so
// OpenAI schemas pass unchanged. Gemini 3 requires each functionCall's thoughtSignature back:
// it travels inside the OpenAI tool call id (see toolCallId).
import { GatewayError } from '../../../shared/errors.js';
import type { JsonObject } from '../../pipeline/context.js';
import {
  parseDataUrl,
  parseToolArguments,
  rejectUnsupported,
  requestedMaxTokens,
  stopSequences,
  textOf,
  toTurns,
  type ChatContentPart,
  type ChatRequestIn,
} from '../openai-shapes.js';

type Part = JsonObject;
interface Content {
  role: 'user' | 'model';
  parts: Part[];
}

const SIGNATURE_MARK = '__ts_';
const THINKING_BUDGET: Record<string, number> = { minimal: 0, low: 1024, medium: 8192, high: 24576 };

/** OpenAI tool call id for a Gemini function call; carries the thought signature if any. */
export function toolCallId(responseId: string, index: number, signature?: string): string {
  const base = `call_${responseId}_${index}`;
  if (signature === undefined || signature === '') return base;
  return `${base}${SIGNATURE_MARK}${Buffer.from(signature, 'base64').toString('base64url')}`;
}

function signatureOf(id: string): string | undefined {
  const at = id.indexOf(SIGNATURE_MARK);
  if (at === -1) return undefined;
  return Buffer.from(id.slice(at + SIGNATURE_MARK.length), 'base64url').toString('base64');
}

export function toGeminiRequest(req: ChatRequestIn, options: { safetySettings?: unknown } = {}): JsonObject {
  rejectUnsupported(req, 'gemini');
  const callNames = new Map<string, string>();
  const conversation = toTurns<Content['role'], Part>(req, 'gemini', {
    assistantRole: 'model',
    user: (message, param) => userParts(message.content, param),
    assistant: (message, param) => {
      const parts: Part[] = [];
      const text = textOf(message.content);
      if (text !== '') parts.push({ text });
      (message.tool_calls ?? []).forEach((call, j) => {
        callNames.set(call.id, call.function.name);
        const part: Part = {
          functionCall: { name: call.function.name, args: parseToolArguments(call.function.arguments, `${param}.tool_calls[${j}].function.arguments`) },
        };
        const signature = signatureOf(call.id);
        if (signature !== undefined) part['thoughtSignature'] = signature;
        parts.push(part);
      });
      return parts;
    },
    tool: (message, param) => {
      const id = message.tool_call_id;
      const name = typeof id === 'string' ? callNames.get(id) : undefined;
      if (name === undefined) {
        throw new GatewayError('invalid_request', 'tool message does not answer a tool call of an earlier assistant message', {
          param: `${param}.tool_call_id`,
        });
      }
      return [{ functionResponse: { name, response: toolResponse(textOf(message.content)) } }];
    },
  });
  const system: Part[] = conversation.system.map((text) => ({ text }));
  const contents: Content[] = conversation.turns.map(({ role, blocks }) => ({ role, parts: blocks }));

  const body: JsonObject = { contents };
  if (system.length > 0) body['systemInstruction'] = { parts: system, role: 'user' };
  body['generationConfig'] = generationConfig(req);
  Object.assign(body, toolFields(req));
  if (options.safetySettings !== undefined) body['safetySettings'] = options.safetySettings;
  return body;
}

/** A tool result: its JSON object when it is one, else wrapped as { content }. */
function toolResponse(text: string): JsonObject {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as JsonObject;
  } catch {
    // plain text result
  }
  return { content: text };
}

const MIME_BY_EXTENSION: Record<string, string> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif', heic: 'image/heic', pdf: 'application/pdf',
};

function userParts(content: ChatRequestIn['messages'][number]['content'], param: string): Part[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  const parts: Part[] = [];
  content.forEach((part: ChatContentPart, k) => {
    const at = `${param}[${k}]`;
    if (part.type === 'text') {
      if (typeof part.text === 'string' && part.text !== '') parts.push({ text: part.text });
    } else if (part.type === 'image_url' && typeof part.image_url?.url === 'string') {
      const url = part.image_url.url;
      const data = parseDataUrl(url, `${at}.image_url.url`);
      if (data !== null) parts.push({ inlineData: { mimeType: data.mediaType, data: data.base64 } });
      else {
        const extension = new URL(url).pathname.split('.').pop()?.toLowerCase() ?? '';
        parts.push({ fileData: { mimeType: MIME_BY_EXTENSION[extension] ?? 'image/jpeg', fileUri: url } });
      }
    } else if (part.type === 'file' && typeof part.file?.file_data === 'string') {
      const data = parseDataUrl(part.file.file_data, `${at}.file.file_data`);
      if (data === null) throw new GatewayError('unsupported_feature', 'file parts must carry file_data as a data URL', { param: at });
      parts.push({ inlineData: { mimeType: data.mediaType, data: data.base64 } });
    } else {
      throw new GatewayError('unsupported_feature', `content part type "${part.type}" is not supported by gemini`, { param: at });
    }
  });
  return parts;
}

function generationConfig(req: ChatRequestIn): JsonObject {
  const config: JsonObject = {};
  if (typeof req.temperature === 'number') config['temperature'] = req.temperature;
  if (typeof req.top_p === 'number') config['topP'] = req.top_p;
  const max = requestedMaxTokens(req);
  if (max !== undefined) config['maxOutputTokens'] = max;
  const stop = stopSequences(req);
  if (stop !== undefined) config['stopSequences'] = stop;
  if (typeof req['seed'] === 'number') config['seed'] = req['seed'];
  if (typeof req['presence_penalty'] === 'number') config['presencePenalty'] = req['presence_penalty'];
  if (typeof req['frequency_penalty'] === 'number') config['frequencyPenalty'] = req['frequency_penalty'];
  const format = req.response_format;
  if (format?.type === 'json_object') config['responseMimeType'] = 'application/json';
  else if (format?.type === 'json_schema') {
    config['responseMimeType'] = 'application/json';
    if (format.json_schema?.schema !== undefined) config['responseJsonSchema'] = format.json_schema.schema;
  }
  const effort = req.reasoning_effort;
  if (typeof effort === 'string' && effort !== 'none') {
    const budget = THINKING_BUDGET[effort];
    if (budget === undefined) throw new GatewayError('invalid_request', `unknown reasoning_effort "${effort}"`, { param: 'reasoning_effort' });
    config['thinkingConfig'] = { thinkingBudget: budget, includeThoughts: budget > 0 };
  }
  return config;
}

function toolFields(req: ChatRequestIn): JsonObject {
  const declarations: JsonObject[] = [];
  (req.tools ?? []).forEach((tool, i) => {
    if (tool.type !== 'function' || tool.function === undefined) {
      throw new GatewayError('unsupported_feature', `tool type "${tool.type}" is not supported by gemini`, { param: `tools[${i}].type` });
    }
    const declaration: JsonObject = { name: tool.function.name };
    if (tool.function.description !== undefined) declaration['description'] = tool.function.description;
    if (tool.function.parameters !== undefined) declaration['parametersJsonSchema'] = tool.function.parameters;
    declarations.push(declaration);
  });
  if (declarations.length === 0) return {};
  const fields: JsonObject = { tools: [{ functionDeclarations: declarations }] };
  const choice = req.tool_choice;
  if (choice === 'auto') fields['toolConfig'] = { functionCallingConfig: { mode: 'AUTO' } };
  else if (choice === 'none') fields['toolConfig'] = { functionCallingConfig: { mode: 'NONE' } };
  else if (choice === 'required') fields['toolConfig'] = { functionCallingConfig: { mode: 'ANY' } };
  else if (typeof choice === 'object' && typeof choice.function?.name === 'string') {
    fields['toolConfig'] = { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } };
  }
  return fields;
}
