// What the structured Japanese detectors share: the width-normalised view of the text (computed
// once per text, not once per detector) and "is one of these keywords near the match"
// (Presidio's context words: a keyword before — or just after — a number raises its score, or
// is required for numbers that are otherwise just digits).
import { normalizeWidth } from './normalize-width.js';

let lastText: string | undefined;
let lastNormalized = '';
let lastRuns: NumberRun[] | undefined;

/** normalizeWidth(text), memoised for the last text: the registry runs every detector on it. */
export function normalizedView(text: string): string {
  if (text !== lastText) {
    lastNormalized = normalizeWidth(text);
    lastText = text;
    lastRuns = undefined;
  }
  return lastNormalized;
}

/**
 * A run of the normalised view where digits follow one another with at most four separator
 * characters (- space . ( )) between them: every number these detectors look for (a 13-digit
 * corporate number, 1234-5678-9012, 03(1234)5678, +81 (0)90…) has all its digits in one run.
 */
interface NumberRun {
  readonly start: number;
  readonly end: number;
  readonly digits: number;
}

// A digit, then digits each after at most four separators. A regex, not a charCodeAt loop: V8's
// regex engine walks a kilobyte about three times faster.
const NUMBER_RUN = /\d(?:[-. ()]{0,4}\d)*/g;
/** Runs shorter than this hold too few digits for any number here: their digits are not counted. */
const MIN_RUN = 7;

/** The digit runs of `view` (memoised with the view: every structured detector reads them). */
function numberRuns(view: string): NumberRun[] {
  if (lastRuns !== undefined && view === lastNormalized) return lastRuns;
  const runs: NumberRun[] = [];
  NUMBER_RUN.lastIndex = 0;
  for (let match = NUMBER_RUN.exec(view); match !== null; match = NUMBER_RUN.exec(view)) {
    const run = match[0];
    if (run.length < MIN_RUN) continue;
    let digits = 0;
    for (let i = 0; i < run.length; i++) {
      const code = run.charCodeAt(i);
      if (code >= 0x30 && code <= 0x39) digits++;
    }
    runs.push({ start: match.index, end: match.index + run.length, digits });
  }
  if (view === lastNormalized) lastRuns = runs;
  return runs;
}

/** Characters a match may start before its run's first digit ("T-" of T-1234…, "+" of +81, "("). */
const LEAD = 2;
/** Characters a pattern may look at around a match (one before, two after: `(?![0-9A-Za-z]|-\d)`). */
const LOOK = 2;

/**
 * The matches of the global `pattern` in `view` whose digits hold at least `minDigits`: the same
 * matches as `view.matchAll(pattern)` (indices into `view`), for such patterns, but the pattern
 * only runs around digit runs long enough to hold one, instead of at every position of the text.
 * `pattern` must match digits joined by separators only (the numbers of this folder), start at
 * most LEAD characters before its first digit, end on a digit, and look at no more than one
 * character before and two after a match; the caller must reject every match of fewer than
 * `minDigits` digits (at least MIN_RUN) anyway, since those are not returned.
 */
export function numberMatches(view: string, pattern: RegExp, minDigits: number): RegExpExecArray[] {
  const matches: RegExpExecArray[] = [];
  for (const run of numberRuns(view)) {
    if (run.digits < minDigits) continue;
    // Windows of neighbouring runs may share a few characters, never a match: a match's digits
    // (at least minDigits) all lie in its own run.
    const from = Math.max(0, run.start - LEAD - 1);
    const window = view.slice(from, Math.min(view.length, run.end + LOOK));
    // exec() on the shared pattern, not matchAll(), which clones the RegExp on every call.
    pattern.lastIndex = 0;
    for (let match = pattern.exec(window); match !== null; match = pattern.exec(window)) {
      // The window's first character only gives the lookbehind its context: no match starts there.
      if (match.index === 0 && from > 0) continue;
      match.index += from;
      matches.push(match);
    }
  }
  return matches;
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
