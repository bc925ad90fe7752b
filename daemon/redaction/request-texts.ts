// Where a request carries text a person wrote: chat messages (string content, text parts,
// assistant tool-call arguments, legacy function_call arguments), the completions prompt and
// suffix, the embeddings input. Each is a TextSlot: a location for the log ("messages[2].content")
// and a way to write the redacted text into a copy of the body. Tool schemas, images, audio
// and token arrays carry no free text and are left alone.
import type { JsonObject } from '../pipeline/context.js';

export interface TextSlot {
  /** Path in the request body, as the redaction log and error `param` show it. */
  readonly location: string;
  readonly text: string;
  /** True when the text is the inside of a JSON document (tool-call arguments). */
  readonly json: boolean;
  /** Writes new text at this location in `body` (a copy made by the caller). */
  write(body: JsonObject, text: string): void;
}

type Path = readonly (string | number)[];

function slot(location: string, text: string, path: Path, json = false): TextSlot {
  return {
    location,
    text,
    json,
    write(body, value) {
      let node: unknown = body;
      for (let i = 0; i < path.length - 1; i++) node = (node as Record<string | number, unknown>)[path[i] as string | number];
      (node as Record<string | number, unknown>)[path[path.length - 1] as string | number] = value;
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function chatSlots(messages: unknown, slots: TextSlot[]): void {
  if (!Array.isArray(messages)) return;
  messages.forEach((message: unknown, i) => {
    if (!isObject(message)) return;
    const content = message.content;
    if (typeof content === 'string') {
      slots.push(slot(`messages[${i}].content`, content, ['messages', i, 'content']));
    } else if (Array.isArray(content)) {
      content.forEach((part: unknown, j) => {
        if (isObject(part) && typeof part.text === 'string') {
          slots.push(slot(`messages[${i}].content[${j}].text`, part.text, ['messages', i, 'content', j, 'text']));
        }
      });
    }
    if (Array.isArray(message.tool_calls)) {
      message.tool_calls.forEach((call: unknown, k) => {
        if (isObject(call) && isObject(call.function) && typeof call.function.arguments === 'string') {
          const path = ['messages', i, 'tool_calls', k, 'function', 'arguments'];
          slots.push(slot(`messages[${i}].tool_calls[${k}].function.arguments`, call.function.arguments, path, true));
        }
      });
    }
    if (isObject(message.function_call) && typeof message.function_call.arguments === 'string') {
      const path = ['messages', i, 'function_call', 'arguments'];
      slots.push(slot(`messages[${i}].function_call.arguments`, message.function_call.arguments, path, true));
    }
  });
}

function stringOrListSlots(body: JsonObject, field: string, slots: TextSlot[]): void {
  const value = body[field];
  if (typeof value === 'string') {
    slots.push(slot(field, value, [field]));
  } else if (Array.isArray(value)) {
    value.forEach((item: unknown, i) => {
      if (typeof item === 'string') slots.push(slot(`${field}[${i}]`, item, [field, i]));
    });
  }
}

/** Every free-text slot of an OpenAI-shaped request body, in document order. */
export function collectTextSlots(body: JsonObject): TextSlot[] {
  const slots: TextSlot[] = [];
  chatSlots(body.messages, slots);
  stringOrListSlots(body, 'prompt', slots);
  stringOrListSlots(body, 'suffix', slots);
  stringOrListSlots(body, 'input', slots);
  return slots;
}
