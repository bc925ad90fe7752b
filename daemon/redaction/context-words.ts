// Context words (Presidio's idea): a word like "phone" or "ssn" just before a candidate raises
// its score, a word like "order" or "invoice" lowers it. Each detector compiles its rule once at
// module load and calls scoreWithContext per candidate; only a short window is looked at.

export interface ContextRule {
  /** Words that make the candidate more likely (matched case-insensitively, whole words). */
  readonly positive?: readonly string[];
  /** Words that make it less likely. */
  readonly negative?: readonly string[];
  /** Words that make it less likely when they follow it ("2437 Main St"). */
  readonly negativeAfter?: readonly string[];
  /** Added for a positive word (default 0.35). */
  readonly boost?: number;
  /** Subtracted for a negative word (default 0.35). */
  readonly penalty?: number;
  /** Characters looked at before the candidate (default 48); a quarter of it after. */
  readonly window?: number;
}

/** Patterns are global (matchAll finds the last word); use search()/matchAll, never test(). */
export interface CompiledContext {
  readonly positive: RegExp | null;
  readonly negative: RegExp | null;
  readonly negativeAfter: RegExp | null;
  readonly boost: number;
  readonly penalty: number;
  readonly window: number;
}

function wordsPattern(words: readonly string[] | undefined): RegExp | null {
  if (words === undefined || words.length === 0) return null;
  // Longest first, so a phrase ("license number") wins over its first word.
  const escaped = [...words].sort((a, b) => b.length - a.length).map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '[\\s_-]?'));
  // Any non-alphanumeric character (or the start) before a word; Japanese words work too.
  return new RegExp(`(?:^|[^a-z0-9])(?:${escaped.join('|')})(?![a-z])`, 'gi');
}

export function compileContext(rule: ContextRule): CompiledContext {
  return {
    positive: wordsPattern(rule.positive),
    negative: wordsPattern(rule.negative),
    negativeAfter: wordsPattern(rule.negativeAfter),
    boost: rule.boost ?? 0.35,
    penalty: rule.penalty ?? 0.35,
    window: rule.window ?? 48,
  };
}

/** Where the last match of `pattern` in `text` ends (-1 when none). */
function lastMatchEnd(pattern: RegExp | null, text: string): number {
  if (pattern === null) return -1;
  // exec() on the shared global pattern: no iterator or cloned RegExp per call (matchAll makes
  // both); a failed exec leaves lastIndex at 0 for the next caller.
  let last = -1;
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) last = pattern.lastIndex;
  return last;
}

/**
 * The candidate's score after looking at the words around [start, end), clamped to 0..1.
 * Before the candidate, the nearer of a positive and a negative word decides ("license clerk …
 * Phone: 358 0594" is a phone), a negative phrase ending where a positive word ends wins
 * ("license number" over "number"); words after it (a quarter of the window) count as they are.
 */
export function scoreWithContext(text: string, start: number, end: number, base: number, context: CompiledContext): number {
  const before = text.slice(Math.max(0, start - context.window), start);
  const after = text.slice(end, Math.min(text.length, end + (context.window >> 2)));
  const positiveBefore = lastMatchEnd(context.positive, before);
  const negativeBefore = lastMatchEnd(context.negative, before);
  let score = base;
  if (positiveBefore > negativeBefore || (context.positive !== null && after.search(context.positive) !== -1)) score += context.boost;
  if ((negativeBefore !== -1 && negativeBefore >= positiveBefore) || (context.negativeAfter !== null && after.search(context.negativeAfter) !== -1)) score -= context.penalty;
  return score < 0 ? 0 : score > 1 ? 1 : score;
}
