// OpenAI chat request → Bedrock Converse / ConverseStream body. Same turn rules as Anthropic
// (system merged, user/assistant alternating, tool results as user turns) in Converse's
// shapes: text / image{format,source.bytes} / toolUse / toolResult blocks, inferenceConfig,
// toolConfig. JSON output uses the forced JSON_TOOL (json-tool.ts). `system` and
// `inferenceConfig` are always sent, as AWS's own SDKs do (the recordings show it).
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

type Block = JsonObject;
interface Turn {
  role: 'user' | 'assistant';
  content: Block[];
}

const IMAGE_FORMATS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/jpg': 'jpeg', 'image/gif': 'gif', 'image/webp': 'webp' };
const THINKING_BUDGET: Record<string, number> = { minimal: 1024, low: 1024, medium: 4096, high: 16384 };

export function toConverseRequest(req: ChatRequestIn, modelId: string): JsonObject {
  rejectUnsupported(req, 'bedrock');
  let hasToolBlocks = false;
  const conversation = toTurns<Turn['role'], Block>(req, 'bedrock', {
    assistantRole: 'assistant',
    user: (message, param) => userBlocks(message.content, param),
    assistant: (message, param) => {
      const blocks: Block[] = [];
      const text = textOf(message.content);
      if (text !== '') blocks.push({ text });
      (message.tool_calls ?? []).forEach((call, j) => {
        hasToolBlocks = true;
        blocks.push({
          toolUse: { toolUseId: call.id, name: call.function.name, input: parseToolArguments(call.function.arguments, `${param}.tool_calls[${j}].function.arguments`) },
        });
      });
      return blocks;
    },
    tool: (message, param) => {
      hasToolBlocks = true;
      return [{ toolResult: { toolUseId: toolCallIdOf(message, param), content: [{ text: textOf(message.content) }], status: 'success' } }];
    },
  });
  const system: Block[] = conversation.system.map((text) => ({ text }));
  const turns: Turn[] = conversation.turns.map(({ role, blocks }) => ({ role, content: blocks }));

  const inferenceConfig: JsonObject = {};
  const max = requestedMaxTokens(req);
  if (max !== undefined) inferenceConfig['maxTokens'] = max;
  if (typeof req.temperature === 'number') inferenceConfig['temperature'] = req.temperature;
  if (typeof req.top_p === 'number') inferenceConfig['topP'] = req.top_p;
  const stop = stopSequences(req);
  if (stop !== undefined) inferenceConfig['stopSequences'] = stop;

  const body: JsonObject = { messages: turns, system, inferenceConfig };
  const toolConfig = toolConfigOf(req, hasToolBlocks);
  if (toolConfig !== undefined) body['toolConfig'] = toolConfig;
  const effort = req.reasoning_effort;
  // Extended thinking exists for Anthropic models on Bedrock only; other models ignore effort.
  // As on Anthropic's API: the turn answering tool results would need its signed reasoning
  // block back, which an OpenAI-shaped history cannot carry, so it goes without thinking.
  const continuesToolUse = turns.findLast((turn) => turn.role === 'assistant')?.content.some((block) => 'toolUse' in block) === true;
  if (typeof effort === 'string' && effort !== 'none' && modelId.includes('anthropic.') && !continuesToolUse) {
    const budget = THINKING_BUDGET[effort];
    if (budget === undefined) throw new GatewayError('invalid_request', `unknown reasoning_effort "${effort}"`, { param: 'reasoning_effort' });
    body['additionalModelRequestFields'] = { thinking: { type: 'enabled', budget_tokens: budget } };
    // The model's default output limit exceeds any budget; an explicit one must leave room.
    if (typeof inferenceConfig['maxTokens'] === 'number' && inferenceConfig['maxTokens'] <= budget) inferenceConfig['maxTokens'] = budget + 4096;
  }
  return body;
}

function userBlocks(content: ChatRequestIn['messages'][number]['content'], param: string): Block[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  const blocks: Block[] = [];
  content.forEach((part: ChatContentPart, k) => {
    const at = `${param}[${k}]`;
    if (part.type === 'text') {
      if (typeof part.text === 'string' && part.text !== '') blocks.push({ text: part.text });
      return;
    }
    if (part.type === 'image_url' && typeof part.image_url?.url === 'string') {
      const data = parseDataUrl(part.image_url.url, `${at}.image_url.url`);
      const format = data === null ? undefined : IMAGE_FORMATS[data.mediaType];
      if (data === null || format === undefined) {
        throw new GatewayError('unsupported_feature', 'bedrock takes images inline only: a base64 data URL of a png, jpeg, gif or webp', { param: `${at}.image_url.url` });
      }
      blocks.push({ image: { format, source: { bytes: data.base64 } } });
      return;
    }
    throw new GatewayError('unsupported_feature', `content part type "${part.type}" is not supported by bedrock`, { param: at });
  });
  return blocks;
}

function toolConfigOf(req: ChatRequestIn, hasToolBlocks: boolean): JsonObject | undefined {
  const tools: JsonObject[] = [];
  (req.tools ?? []).forEach((tool, i) => {
    if (tool.type !== 'function' || tool.function === undefined) {
      throw new GatewayError('unsupported_feature', `tool type "${tool.type}" is not supported by bedrock`, { param: `tools[${i}].type` });
    }
    const spec: JsonObject = { name: tool.function.name, inputSchema: { json: tool.function.parameters ?? { type: 'object', properties: {} } } };
    if (tool.function.description !== undefined) spec['description'] = tool.function.description;
    tools.push({ toolSpec: spec });
  });
  const choice = req.tool_choice;
  // Converse has no "none": without tool history the tools are left out; with it, Bedrock
  // requires the toolConfig, so the tools stay and the model decides.
  if (choice === 'none' && !hasToolBlocks && !usesJsonTool(req)) return undefined;
  let toolChoice: JsonObject | undefined;
  if (choice === 'auto') toolChoice = { auto: {} };
  else if (choice === 'required') toolChoice = { any: {} };
  else if (typeof choice === 'object' && typeof choice.function?.name === 'string') toolChoice = { tool: { name: choice.function.name } };
  if (usesJsonTool(req)) {
    tools.push({ toolSpec: { name: JSON_TOOL, description: JSON_TOOL_DESCRIPTION, inputSchema: { json: jsonToolSchema(req) } } });
    toolChoice = tools.length === 1 ? { tool: { name: JSON_TOOL } } : { any: {} };
  }
  if (tools.length === 0) return undefined;
  return toolChoice === undefined ? { tools } : { tools, toolChoice };
}
