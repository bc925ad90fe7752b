// The answer's side of redaction for one request: restores the request's placeholders and masks
// PII the model emits (per each type's response action), in a JSON answer or inline in a stream
// of chunk objects (chat.completion.chunk: delta.content and tool-call argument deltas;
// text_completion: choices[].text). One StreamRedactor per choice and per tool call, so a match
// split across chunks is still caught; held text is released when its choice finishes, or
// earlier when the choice moves on to another field (content, then a tool call, then the
// next), so the client gets content and tool calls in the upstream's order.
import type { EntityType, ResponseAction } from '../../shared/schemas/redaction.js';
import type { JsonObject } from '../pipeline/context.js';
import type { RedactionEngine } from './engine.js';
import type { PseudonymTable } from './pseudonyms.js';
import { StreamRedactor } from './stream-redactor.js';
import type { StreamFinding } from './stream-redactor.js';

export interface ResponseRedactionDeps {
  readonly engine: RedactionEngine;
  readonly pseudonyms: PseudonymTable;
  readonly scan: boolean;
  readonly responseActionFor: (type: EntityType) => ResponseAction;
  /** Receives each finding with its location ("response.choices[0].content"). */
  readonly onFinding: (location: string, finding: StreamFinding) => void;
}

export interface ResponseRedaction {
  /** Rewrites a non-streamed answer in place and returns it. */
  redactJson(body: JsonObject): Promise<JsonObject>;
  /** Wraps a stream of chunk objects. */
  redactStream(events: AsyncIterable<JsonObject>): AsyncIterable<JsonObject>;
  /** Characters held back: largest after any chunk, and mean (for the bench and README). */
  holdStats(): { max: number; mean: number };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function createResponseRedaction(deps: ResponseRedactionDeps): ResponseRedaction {
  const redactors = new Map<string, StreamRedactor>();
  /** Locations whose choice finished (flushed); a later delta there reopens it. */
  const finished = new Set<string>();

  function redactorFor(location: string, jsonString: boolean): StreamRedactor {
    finished.delete(location);
    let redactor = redactors.get(location);
    if (redactor === undefined) {
      redactor = new StreamRedactor({
        engine: deps.engine,
        pseudonyms: deps.pseudonyms,
        responseActionFor: deps.responseActionFor,
        scan: deps.scan,
        jsonString,
        onFinding: (finding) => deps.onFinding(location, finding),
      });
      redactors.set(location, redactor);
    }
    return redactor;
  }

  /**
   * Flushes every open redactor of one choice (but those `keep` names); returns the chunk deltas
   * to emit (content, tool calls).
   */
  async function flushChoice(
    choice: number,
    keep: readonly string[] = [],
  ): Promise<{ content: string; text: string; toolCalls: { index: number; arguments: string }[] }> {
    let content = '';
    let text = '';
    const toolCalls: { index: number; arguments: string }[] = [];
    for (const [location, redactor] of redactors) {
      const prefix = `response.choices[${choice}].`;
      if (!location.startsWith(prefix) || finished.has(location) || keep.includes(location)) continue;
      const rest = await redactor.flush();
      finished.add(location);
      if (rest === '') continue;
      const field = location.slice(prefix.length);
      if (field === 'content') content += rest;
      else if (field === 'text') text += rest;
      else {
        const index = Number(/tool_calls\[(\d+)\]/.exec(field)?.[1] ?? 0);
        toolCalls.push({ index, arguments: rest });
      }
    }
    return { content, text, toolCalls };
  }

  async function redactChunk(chunk: JsonObject, out: JsonObject[]): Promise<void> {
    const choices = chunk.choices;
    if (!Array.isArray(choices)) {
      out.push(chunk);
      return;
    }
    const finishing: number[] = [];
    for (const choice of choices as unknown[]) {
      if (!isObject(choice)) continue;
      const index = typeof choice.index === 'number' ? choice.index : 0;
      const delta = choice.delta;
      if (isObject(delta)) {
        const contentAt = `response.choices[${index}].content`;
        const calls = Array.isArray(delta.tool_calls) ? (delta.tool_calls as unknown[]).filter(isObject) : [];
        const callAt = (call: Record<string, unknown>): string =>
          `response.choices[${index}].tool_calls[${typeof call.index === 'number' ? call.index : 0}].function.arguments`;
        // What the choice's other fields still hold goes out first, in a chunk of its own.
        const fields = [...(typeof delta.content === 'string' ? [contentAt] : []), ...calls.map(callAt)];
        if (fields.length > 0) {
          const before = flushChunk(chunk, index, await flushChoice(index, fields));
          if (before !== null) out.push(before);
        }
        if (typeof delta.content === 'string') delta.content = await redactorFor(contentAt, false).push(delta.content);
        for (const call of calls) {
          // Content and earlier calls of this same delta come before this call: theirs is appended.
          appendRest(choice, await flushChoice(index, [callAt(call)]));
          if (!isObject(call.function) || typeof call.function.arguments !== 'string') continue;
          call.function.arguments = await redactorFor(callAt(call), true).push(call.function.arguments);
        }
      } else if (typeof choice.text === 'string') {
        choice.text = await redactorFor(`response.choices[${index}].text`, false).push(choice.text);
      }
      if (choice.finish_reason !== null && choice.finish_reason !== undefined) finishing.push(index);
    }
    // Held text of a finishing choice goes out with its finishing chunk, after what it carried.
    for (const index of finishing) {
      const choice = (choices as unknown[]).find((item) => isObject(item) && (item.index ?? 0) === index);
      if (isObject(choice)) appendRest(choice, await flushChoice(index));
    }
    out.push(chunk);
  }

  function appendRest(choice: Record<string, unknown>, rest: Awaited<ReturnType<typeof flushChoice>>): void {
    if (rest.text !== '') choice.text = (typeof choice.text === 'string' ? choice.text : '') + rest.text;
    if (rest.content === '' && rest.toolCalls.length === 0) return;
    const delta = isObject(choice.delta) ? choice.delta : (choice.delta = {});
    if (rest.content !== '') delta.content = (typeof delta.content === 'string' ? delta.content : '') + rest.content;
    if (rest.toolCalls.length === 0) return;
    const calls = Array.isArray(delta.tool_calls) ? (delta.tool_calls as unknown[]) : (delta.tool_calls = []);
    for (const { index, arguments: tail } of rest.toolCalls) {
      const call = calls.find((item) => isObject(item) && (item.index ?? 0) === index);
      if (isObject(call) && isObject(call.function)) {
        call.function.arguments = (typeof call.function.arguments === 'string' ? call.function.arguments : '') + tail;
      } else {
        calls.push({ index, function: { arguments: tail } });
      }
    }
  }

  let lastChunk: JsonObject | null = null;

  function flushChunk(template: JsonObject, index: number, rest: Awaited<ReturnType<typeof flushChoice>>): JsonObject | null {
    if (rest.content === '' && rest.text === '' && rest.toolCalls.length === 0) return null;
    const { choices: _choices, usage: _usage, ...base } = template;
    if (rest.text !== '') return { ...base, choices: [{ index, text: rest.text, finish_reason: null }] };
    const delta: JsonObject = {};
    if (rest.content !== '') delta.content = rest.content;
    if (rest.toolCalls.length > 0) delta.tool_calls = rest.toolCalls.map((call) => ({ index: call.index, function: { arguments: call.arguments } }));
    return { ...base, choices: [{ index, delta, finish_reason: null }] };
  }

  async function redactMessageChoice(choice: Record<string, unknown>, index: number): Promise<void> {
    const message = choice.message;
    if (isObject(message)) {
      if (typeof message.content === 'string') {
        message.content = await redactorFor(`response.choices[${index}].content`, false).redactAll(message.content);
      }
      if (Array.isArray(message.tool_calls)) {
        for (const [k, call] of (message.tool_calls as unknown[]).entries()) {
          if (!isObject(call) || !isObject(call.function) || typeof call.function.arguments !== 'string') continue;
          const location = `response.choices[${index}].tool_calls[${k}].function.arguments`;
          call.function.arguments = await redactorFor(location, true).redactAll(call.function.arguments);
        }
      }
    } else if (typeof choice.text === 'string') {
      choice.text = await redactorFor(`response.choices[${index}].text`, false).redactAll(choice.text);
    }
  }

  return {
    async redactJson(body) {
      if (!Array.isArray(body.choices)) return body;
      for (const [position, choice] of (body.choices as unknown[]).entries()) {
        if (isObject(choice)) await redactMessageChoice(choice, typeof choice.index === 'number' ? choice.index : position);
      }
      return body;
    },
    redactStream(events) {
      return {
        async *[Symbol.asyncIterator]() {
          for await (const chunk of events) {
            lastChunk = chunk;
            const out: JsonObject[] = [];
            await redactChunk(chunk, out);
            yield* out;
          }
          // The upstream ended without finishing some choice: release what is still held.
          const unfinished = [...redactors.keys()].filter((location) => !finished.has(location));
          const open = new Set(unfinished.map((location) => Number(/choices\[(\d+)\]/.exec(location)?.[1] ?? 0)));
          for (const index of open) {
            const extra = flushChunk(lastChunk ?? { object: 'chat.completion.chunk' }, index, await flushChoice(index));
            if (extra !== null) yield extra;
          }
        },
      };
    },
    holdStats() {
      let max = 0;
      let held = 0;
      let pushes = 0;
      for (const redactor of redactors.values()) {
        max = Math.max(max, redactor.maxHeld);
        held += redactor.heldTotal;
        pushes += redactor.pushes;
      }
      return { max, mean: pushes === 0 ? 0 : held / pushes };
    },
  };
}
