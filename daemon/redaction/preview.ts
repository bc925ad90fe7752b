// The redaction log's preview of a finding: a few words either side of it with that finding and
// every other finding nearby replaced by `[TYPE]`, e.g. "…Call me at [PHONE] tomorrow…". Built
// only from spans the engine found, so it never carries a redacted value.
import type { Span } from './types.js';

const SIDE = 32;
/** Whitespace other than a single space: a line break, a tab, two spaces in a row. */
const NOT_ONE_LINE = /[^\S ]|\s\s/;

/**
 * The preview for `spans[index]`; `spans` are all findings in `text`, sorted by start and not
 * overlapping. Only the neighbours inside the window are visited (a text may hold thousands).
 * `textIsOneLine`: isOneLine(text) is known to be true.
 */
export function maskedPreview(text: string, spans: readonly Span[], index: number, textIsOneLine = false): string {
  const focus = spans[index];
  if (focus === undefined) return '';
  let from = Math.max(0, focus.start - SIDE);
  let to = Math.min(text.length, focus.end + SIDE);
  // The neighbours in view, and never a cut through one at the window's edges: widen to cover it whole.
  let first = index;
  while (first > 0 && (spans[first - 1] as Span).end > from) first--;
  let last = index;
  while (last + 1 < spans.length && (spans[last + 1] as Span).start < to) last++;
  const firstSpan = spans[first] as Span;
  const lastSpan = spans[last] as Span;
  if (firstSpan.start < from) from = firstSpan.start;
  if (lastSpan.end > to) to = lastSpan.end;
  // Start and end on a word boundary when one is near, so no fragment of a word shows.
  if (from > 0) {
    const space = text.indexOf(' ', from);
    if (space !== -1 && space < focus.start) from = space + 1;
  }
  if (to < text.length) {
    const space = text.lastIndexOf(' ', to);
    if (space > focus.end) to = space;
  }
  let preview = from > 0 ? '…' : '';
  let cursor = from;
  for (let i = first; i <= last; i++) {
    const span = spans[i] as Span;
    if (span.end <= from || span.start >= to) continue;
    preview += text.slice(cursor, span.start) + `[${span.type}]`;
    cursor = span.end;
  }
  preview += text.slice(cursor, to);
  if (to < text.length) preview += '…';
  // One line in a log viewer (most previews are one already: skip the rewrite then, and the
  // test too when the caller knows the whole text is one line).
  return !textIsOneLine && NOT_ONE_LINE.test(preview) ? preview.replace(/\s+/g, ' ') : preview;
}

/** Whether every preview of `text` is one line already (checked once per text, not per finding). */
export function isOneLine(text: string): boolean {
  return !NOT_ONE_LINE.test(text);
}
