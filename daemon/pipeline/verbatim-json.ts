// The upstream's own JSON text of an answer body or stream chunk, kept beside the object parsed
// from it for as long as nothing changed that object, so the OpenAI routes write the upstream's
// bytes instead of serializing the object again (JSON.stringify of every stream chunk was ~4% of
// a streamed request's CPU). Stages still read the parsed object (usage, answer text).
//
// The rule that keeps this honest: code that changes a parsed answer IN PLACE (response
// redaction) calls forgetVerbatim(object) first. New objects (translations, redacted copies)
// have no text here and are serialized as before.
import type { JsonObject } from './context.js';

// A non-enumerable symbol property rather than a WeakMap: ~15 chunks per stream made the
// WeakMap's entries a visible GC cost. Non-enumerable, so copies (`{ ...chunk }`, rest
// destructuring, Object.assign) never carry it and JSON.stringify never sees it.
const TEXT = Symbol('kagami.verbatimJson');

type Marked = JsonObject & { [TEXT]?: string | undefined };

/** Records that `value` is exactly JSON.parse(`text`), as the upstream sent it. */
export function rememberVerbatim(value: JsonObject, text: string): void {
  Object.defineProperty(value, TEXT, { value: text, writable: true, enumerable: false, configurable: true });
}

/** The upstream's text of `value`, if it is unchanged since it was parsed. */
export function verbatimText(value: JsonObject): string | undefined {
  return (value as Marked)[TEXT];
}

/** `value` is about to be changed in place: its upstream text no longer describes it. */
export function forgetVerbatim(value: JsonObject): void {
  if ((value as Marked)[TEXT] !== undefined) (value as Marked)[TEXT] = undefined;
}
