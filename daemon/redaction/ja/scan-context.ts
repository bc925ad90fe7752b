// What the structured Japanese detectors share: the width-normalised view of the text (computed
// once per text, not once per detector) and "is one of these keywords near the match"
// (Presidio's context words: a keyword before — or just after — a number raises its score, or
// is required for numbers that are otherwise just digits).
import { normalizeWidth } from './normalize-width.js';

let lastText: string | undefined;
let lastNormalized = '';

/** normalizeWidth(text), memoised for the last text: the registry runs every detector on it. */
export function normalizedView(text: string): string {
  if (text !== lastText) {
    lastNormalized = normalizeWidth(text);
    lastText = text;
  }
  return lastNormalized;
}

/** Drops the memoised view and the text it holds (the engine calls it once a text is scanned). */
export function forgetNormalizedView(): void {
  lastText = undefined;
  lastNormalized = '';
}

export interface KeywordWindow {
  /** Compiled once at module load; tested against the text around the match. Not global. */
  readonly pattern: RegExp;
  /** Characters before the match start searched (labels precede values: 口座番号：1234567). */
  readonly before: number;
  /** Characters after the match end searched ((携帯) after a number). */
  readonly after: number;
}

/** Whether `window.pattern` occurs in the `before` chars before [start,end) or `after` chars after. */
export function keywordNear(text: string, start: number, end: number, window: KeywordWindow): boolean {
  const head = text.slice(Math.max(0, start - window.before), start);
  if (window.pattern.test(head)) return true;
  return window.after > 0 && window.pattern.test(text.slice(end, end + window.after));
}

/** True when the text contains an ASCII or full-width digit: no digit, no structured number. */
export function hasDigit(text: string): boolean {
  return /[0-9０-９]/.test(text);
}

/**
 * Whether a grouped number [start,end) of the normalised view is only a slice of a longer run of
 * groups ("5018 7083 8076 8422" is a card, "GB82 WEST 1234 5698 7654 32" an IBAN): a digit group
 * (or a 4-character IBAN group) and a separator right before it, or a separator and a digit after.
 */
export function isSliceOfLongerGroups(view: string, start: number, end: number): boolean {
  return GROUP_BEFORE.test(view.slice(Math.max(0, start - 6), start)) || GROUP_AFTER.test(view.slice(end, end + 2));
}
const GROUP_BEFORE = /(?:[0-9]|(?<![0-9A-Za-z])[0-9A-Z]{4})[ -]$/;
const GROUP_AFTER = /^[ -][0-9]/;
