// JSON output for upstreams without a JSON mode (Anthropic Messages, Bedrock Converse):
// response_format json_object / json_schema becomes one extra tool, JSON_TOOL, whose input
// schema is the requested schema, and the model is made to call it. The response side turns
// that call back into plain message content with finish_reason "stop", so the client sees the
// answer OpenAI would give.
import type { JsonObject } from '../pipeline/context.js';
import type { ChatRequestIn } from './openai-shapes.js';

export const JSON_TOOL = 'json';
export const JSON_TOOL_DESCRIPTION = 'Respond with a JSON object.';

/** Whether the request asks for JSON output, answered through the forced JSON_TOOL. */
export function usesJsonTool(req: ChatRequestIn): boolean {
  const type = req.response_format?.type;
  return type === 'json_object' || type === 'json_schema';
}

export function jsonToolSchema(req: ChatRequestIn): JsonObject {
  return req.response_format?.json_schema?.schema ?? { type: 'object' };
}
