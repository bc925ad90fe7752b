// The answer's side of redaction for one request: restores the request's placeholders and masks
// PII the model emits (per each type's response action), in a JSON answer or inline in a stream
// of chunk objects (chat.completion.chunk: delta.content and tool-call argument deltas;
// text_completion: choices[].text). One StreamRedactor per choice and per tool call, so a match
// split across chunks is still caught; held text is released when its choice finishes, or
// earlier when the choice moves on to another field (content, then a tool call, then the
// next), so the client gets content and tool calls in the upstream's order. The client gets
// the provider's framing otherwise: released text goes out in a chunk of its own (the
// finishing chunk stays as sent), and a chunk whose only text is all held back is not sent.
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
  /** The request's abort signal: when the client goes away, scans of the answer are dropped. */
  readonly signal?: AbortSignal;
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

/** True when a choice carries nothing but empty text: no role, tool call, finish reason, logprobs… */
function carriesNothing(choice: Record<string, unknown>): boolean {
  return Object.entries(choice).every(([key, value]) => {
    if (key === 'index' || value === null || value === undefined) return true;
    if (key === 'text') return value === '';
    return key === 'delta' && isObject(value) && Object.entries(value).every(([field, inner]) => inner === null || inner === undefined || (field === 'content' && inner === ''));
  });
}

/**
 * The fields every chunk of a stream repeats; `obfuscation` is OpenAI's random padding that
 * hides the length of each delta, so it goes with the delta.
 */
const ENVELOPE = new Set(['id', 'object', 'created', 'model', 'system_fingerprint', 'service_tier', 'obfuscation', 'choices']);

/** True when a chunk carries something besides its envelope and choices (usage, …). */
function carriesBeyondEnvelope(chunk: JsonObject): boolean {
  return Object.entries(chunk).some(([key, value]) => !ENVELOPE.has(key) && value !== null && value !== undefined);
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
        ...(deps.signal === undefined ? {} : { signal: deps.signal }),
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
    const finishing: { choice: Record<string, unknown>; index: number; carried: boolean }[] = [];
    /** Choices whose text the redactors may have held back entirely. */
    const shrunk = new Set<unknown>();
    for (const choice of choices as unknown[]) {
      if (!isObject(choice)) continue;
      const index = typeof choice.index === 'number' ? choice.index : 0;
      const delta = choice.delta;
      /** The upstream sent text for this choice in this chunk (content, arguments or legacy text). */
      let carried = false;
      if (isObject(delta)) {
        const contentAt = `response.choices[${index}].content`;
        const calls = Array.isArray(delta.tool_calls) ? (delta.tool_calls as unknown[]).filter(isObject) : [];
        const callAt = (call: Record<string, unknown>): string =>
          `response.choices[${index}].tool_calls[${typeof call.index === 'number' ? call.index : 0}].function.arguments`;
        // What the choice's other fields still hold goes out first, in a chunk of its own.
        const fields = [...(typeof delta.content === 'string' ? [contentAt] : []), ...calls.map(callAt)];
        if (fields.length > 0) {
          const before = releaseChunk(chunk, index, await flushChoice(index, fields));
          if (before !== null) out.push(before);
        }
        if (typeof delta.content === 'string' && delta.content !== '') {
          carried = true;
          shrunk.add(choice);
          delta.content = await redactorFor(contentAt, false).push(delta.content);
        }
        for (const call of calls) {
          // Content and earlier calls of this same delta come before this call: theirs is appended.
          appendRest(choice, await flushChoice(index, [callAt(call)]));
          if (!isObject(call.function) || typeof call.function.arguments !== 'string') continue;
          carried ||= call.function.arguments !== '';
          call.function.arguments = await redactorFor(callAt(call), true).push(call.function.arguments);
        }
      } else if (typeof choice.text === 'string' && choice.text !== '') {
        carried = true;
        shrunk.add(choice);
        choice.text = await redactorFor(`response.choices[${index}].text`, false).push(choice.text);
      }
      if (choice.finish_reason !== null && choice.finish_reason !== undefined) finishing.push({ choice, index, carried });
    }
    // Held text of a finishing choice: after the text this chunk carried when it carried some
    // (the provider sent text and finish together), else in a chunk of its own just before it,
    // so the provider's finishing chunk reaches the client as it was sent.
    for (const { choice, index, carried } of finishing) {
      const rest = await flushChoice(index);
      if (carried) appendRest(choice, rest);
      else {
        const release = releaseChunk(chunk, index, rest);
        if (release !== null) out.push(release);
      }
    }
    // A choice whose only payload was text now held back entirely is not sent (nor its chunk,
    // when nothing else is left in it): the client would get an empty delta.
    const kept = (choices as unknown[]).filter((choice) => !(shrunk.has(choice) && isObject(choice) && carriesNothing(choice)));
    if (kept.length === choices.length) out.push(chunk);
    else if (kept.length > 0) out.push({ ...chunk, choices: kept });
    else if (!carriesBeyondEnvelope(chunk)) return;
    else out.push(chunk);
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

  /**
   * Released text in a chunk of its own, in the envelope of the stream's chunks (id, object,
   * created, model, system_fingerprint…; usage and logprobs null when the upstream sends them).
   */
  function releaseChunk(template: JsonObject, index: number, rest: Awaited<ReturnType<typeof flushChoice>>): JsonObject | null {
    if (rest.content === '' && rest.text === '' && rest.toolCalls.length === 0) return null;
    const { choices, usage: _usage, obfuscation: _obfuscation, ...base } = template;
    const choice: JsonObject = { index };
    if (rest.text !== '') choice.text = rest.text;
    else {
      const delta: JsonObject = {};
      if (rest.content !== '') delta.content = rest.content;
      if (rest.toolCalls.length > 0) delta.tool_calls = rest.toolCalls.map((call) => ({ index: call.index, function: { arguments: call.arguments } }));
      choice.delta = delta;
    }
    const sample = Array.isArray(choices) ? choices.find(isObject) : undefined;
    if (sample !== undefined && 'logprobs' in sample) choice.logprobs = null;
    choice.finish_reason = null;
    return { ...base, choices: [choice], ...('usage' in template ? { usage: null } : {}) };
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
            const extra = releaseChunk(lastChunk ?? { object: 'chat.completion.chunk' }, index, await flushChoice(index));
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
