// Redaction of text that arrives in pieces (a streamed answer's delta.content, a tool call's
// argument deltas): push() each piece, get back the text that is safe to send now; flush() at
// the end. Text that may still be the beginning of a match is held back, and only that:
//   - the trailing word (a match never contains whitespace…),
//   - …plus the groups of digits before it joined by single spaces (cards, phones and IBANs are
//     written in groups: "4111 1111 1111 1111", "+44 20 7946 0958", "GB82 WEST 1234 …"),
//   - in Japanese text (no spaces), from where a name or address could still start: the trailing
//     kanji/katakana/digit run with the hiragana around it (さくら, さいたま), at most CJK_HOLD
//     characters, and from the start of an address the analyzer sees but does not count yet
//     (東京都渋谷区 before its town and block number arrive),
//   - an unclosed PEM block from its BEGIN line, and a placeholder's possible start ("<EMA"),
//   - any span the detectors found that reaches into the held text.
// The detectors run over the held text plus the last CONTEXT characters already sent, so
// context words ("password:", "SSN") still count across chunk boundaries. PII the model emits
// is masked per each type's response action; the request's placeholders are restored.
import type { EntityType, ResponseAction } from '../../shared/schemas/redaction.js';
import type { RedactionEngine } from './engine.js';
import { maskedPreview } from './preview.js';
import type { PseudonymTable } from './pseudonyms.js';
import { containsJapaneseScript } from './types.js';
import type { Span } from './types.js';

/** Characters of already-sent text kept for context words and previews. */
const CONTEXT = 64;
/** Japanese text has no spaces: hold at most this many trailing characters of a Japanese run. */
const CJK_HOLD = 48;
/**
 * Hiragana one name or address holds in a row: a given name (さくら), a city (かすみがうら市,
 * つくばみらい市), a town (つつじが丘). A longer run is grammar, so a match can start only in
 * its last characters.
 */
const MAX_KANA_IN_MATCH = 6;
/** An address the analyzer does not count yet stays held while this few characters follow it. */
const ADDRESS_REACH = 16;
/**
 * An unbroken run longer than this (a huge base64 blob) is released in part: once it reaches
 * twice this, all but this many characters go out, so each character is scanned about twice
 * (releasing a few characters per chunk would rescan the whole run on every chunk).
 */
const MAX_WORD_HOLD = 4096;
/** An unclosed PEM private key block is held up to this size. */
const MAX_PEM_HOLD = 65_536;

export interface StreamFinding {
  readonly span: Span;
  readonly action: ResponseAction;
  /** Offsets in the whole output of this stream (model text, before restoring). */
  readonly start: number;
  readonly end: number;
  readonly preview: string;
}

export interface StreamRedactorOptions {
  readonly engine: RedactionEngine;
  readonly pseudonyms: PseudonymTable;
  readonly responseActionFor: (type: EntityType) => ResponseAction;
  /** Run the detectors (false: only restore placeholders). */
  readonly scan: boolean;
  /** The text is the inside of a JSON string (tool-call arguments). */
  readonly jsonString?: boolean;
  readonly onFinding?: (finding: StreamFinding) => void;
  /** When it aborts, a pending scan is dropped and push()/flush() reject with its reason. */
  readonly signal?: AbortSignal;
}

function isSpace(code: number): boolean {
  return code === 32 || code === 10 || code === 13 || code === 9 || code === 0x3000;
}

// Japanese punctuation no value runs across (、。！？，「」『』): it ends a "word" the way a
// space does: nothing before it is held for a Japanese run.
const JAPANESE_BREAKS = new Set([0x3001, 0x3002, 0xff01, 0xff1f, 0xff0c, 0x300c, 0x300d, 0x300e, 0x300f]);

function isBreak(code: number): boolean {
  return isSpace(code) || JAPANESE_BREAKS.has(code);
}

// ・ (and its half-width form) and ＝ join the parts of a foreign name written in katakana.
const NAME_JOINERS = new Set([0x30fb, 0xff65, 0xff1d]);

function isHiragana(code: number): boolean {
  return code >= 0x3041 && code <= 0x309f;
}

/** Start of the last hiragana run in text[from, end), taking at most `max` characters of it. */
function kanaRunStart(text: string, from: number, end: number, max: number): number {
  let i = end;
  while (i > from && end - i < max && isHiragana(text.charCodeAt(i - 1))) i--;
  return i;
}

/**
 * Where a name or address that may continue past the end of a Japanese run text[from, end)
 * could start. Names and addresses are kanji, katakana and digits with short stretches of
 * hiragana (山田さくら, さいたま市, 恵比寿１丁目); grammar is hiragana (は, ですが, いたしました).
 * So: the trailing hiragana (a given name or honorific being written), the run before it, and
 * the hiragana before that (a hiragana city: さいたま市). A trailing hiragana run longer than
 * any a match holds leaves only its last characters.
 */
function japaneseHoldStart(text: string, from: number, end: number): number {
  const trailingKana = kanaRunStart(text, from, end, Number.POSITIVE_INFINITY);
  if (end - trailingKana > MAX_KANA_IN_MATCH) return end - MAX_KANA_IN_MATCH;
  let i = trailingKana;
  while (i > from && !isHiragana(text.charCodeAt(i - 1))) i--;
  return kanaRunStart(text, from, i, MAX_KANA_IN_MATCH);
}

function hasBreakFrom(text: string, from: number): boolean {
  for (let i = Math.max(0, from); i < text.length; i++) if (isBreak(text.charCodeAt(i))) return true;
  return false;
}

/** No whitespace and nothing beyond ASCII. */
function isAsciiWord(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f || isSpace(code)) return false;
  }
  return true;
}

/** A short group of the kind numbers are written in: "415", "(0)8", "+44", "WEST", "1234". */
function isGroup(word: string): boolean {
  if (word.length === 0 || word.length > 6) return false;
  return /\d/.test(word) || /^[A-Z]{2,4}$/.test(word) || /^[+(]/.test(word);
}

/** False once the BEGIN line is complete and names no private key (a certificate is not held). */
function mayBePrivateKey(text: string, begin: number): boolean {
  const label = /^-----BEGIN ([^\n-]*)-----/.exec(text.slice(begin, begin + 80));
  return label === null || label[1]?.includes('PRIVATE KEY') === true;
}

/** True when the PEM block starting at `begin` has its whole END line ("-----END … KEY-----"). */
function pemClosed(text: string, begin: number): boolean {
  const endLine = text.indexOf('-----END', begin);
  return endLine !== -1 && text.indexOf('-----', endLine + 8) !== -1;
}

/** Where the text that must be held back starts (text.length = nothing to hold). */
export function holdBackStart(text: string, pseudonyms: PseudonymTable | null): number {
  const end = text.length;
  let pos = end;
  // One trailing space may sit between two groups of the same number.
  const trailingSpace = pos > 1 && text.charCodeAt(pos - 1) === 32 && !isSpace(text.charCodeAt(pos - 2));
  if (trailingSpace) pos--;
  let wordStart = pos;
  while (wordStart > 0 && !isBreak(text.charCodeAt(wordStart - 1))) wordStart--;
  let hold = end;
  if (!trailingSpace) hold = wordStart;
  else if (isGroup(text.slice(wordStart, pos))) hold = wordStart;
  if (hold < end) {
    // Earlier groups joined by single spaces, when the run contains digits.
    for (let groups = 0; groups < 10 && hold > 1 && text.charCodeAt(hold - 1) === 32 && !isSpace(text.charCodeAt(hold - 2)); groups++) {
      let previous = hold - 1;
      while (previous > 0 && !isSpace(text.charCodeAt(previous - 1))) previous--;
      if (!isGroup(text.slice(previous, hold - 1))) break;
      hold = previous;
    }
    if (containsJapaneseScript(text.slice(hold))) hold = Math.max(japaneseHoldStart(text, hold, end), end - CJK_HOLD);
    if (end - hold >= 2 * MAX_WORD_HOLD) hold = end - MAX_WORD_HOLD;
  }
  const pem = text.lastIndexOf('-----BEGIN');
  if (pem !== -1 && pem < hold && end - pem <= MAX_PEM_HOLD && mayBePrivateKey(text, pem) && !pemClosed(text, pem)) hold = pem;
  const placeholder = pseudonyms?.pendingPlaceholderStart(text) ?? -1;
  if (placeholder !== -1 && placeholder < hold) hold = placeholder;
  return hold;
}

export class StreamRedactor {
  private pending = '';
  /** The tail of what was already released (model text), for context words and previews. */
  private context = '';
  /** Findings overlapping `context`, offsets relative to it (so previews stay masked). */
  private contextSpans: Span[] = [];
  /** Model-text characters released so far. */
  private released = 0;
  /** True when the last push released nothing and all of `pending` is one ASCII run. */
  private heldWhole = false;
  /** Largest number of characters held back after any push. */
  maxHeld = 0;
  /** Sum over pushes of the characters held back after it, and the number of pushes. */
  heldTotal = 0;
  pushes = 0;

  constructor(private readonly options: StreamRedactorOptions) {}

  /** Adds a piece of model output; returns what can be sent now (possibly ''). */
  async push(delta: string): Promise<string> {
    if (delta.length === 0) return '';
    this.pending += delta;
    let out = '';
    // Fast path: everything pending was held after the last piece, and this one adds no
    // whitespace and no non-ASCII character: nothing can be released yet (checking would
    // cost a pass over the whole pending run per piece: quadratic on a long base64 blob).
    // A name joined by ・/＝ goes on in the next piece (ジョン・|スミス): wait for it (the analyzer
    // is not asked about a name cut at its joiner).
    const joinerLast = this.options.scan && NAME_JOINERS.has(this.pending.charCodeAt(this.pending.length - 1));
    if (!joinerLast && !(this.heldWhole && this.pending.length < 2 * MAX_WORD_HOLD && isAsciiWord(delta))) {
      const before = this.pending.length;
      const hold = this.options.scan ? holdBackStart(this.pending, this.options.pseudonyms) : this.placeholderHold();
      out = await this.release(hold);
      this.heldWhole = this.options.scan && this.pending.length === before && isAsciiWord(this.pending);
    }
    this.pushes++;
    this.heldTotal += this.pending.length;
    if (this.pending.length > this.maxHeld) this.maxHeld = this.pending.length;
    return out;
  }

  /** Redacts a whole text at once (a non-streamed answer). */
  redactAll(text: string): Promise<string> {
    this.pending += text;
    return this.release(Number.POSITIVE_INFINITY);
  }

  /** Releases everything still held (end of the stream or of this choice). */
  flush(): Promise<string> {
    return this.release(Number.POSITIVE_INFINITY);
  }

  private placeholderHold(): number {
    const start = this.options.pseudonyms.pendingPlaceholderStart(this.pending);
    return start === -1 ? this.pending.length : start;
  }

  private async release(holdAt: number): Promise<string> {
    let hold = Math.min(holdAt, this.pending.length);
    if (hold === 0) return '';
    const { engine, pseudonyms, jsonString = false } = this.options;
    let spans: Span[] = [];
    if (this.options.scan) {
      const offset = this.context.length;
      const candidates: Span[] = [];
      const found = await engine.detect(this.context + this.pending, hold < this.pending.length ? candidates : undefined, this.options.signal);
      hold = this.holdOpenAddress(candidates, offset, hold);
      for (const span of found) {
        if (span.end <= offset) continue; // already handled when it was released
        // A span starting in sent text (should not happen): mask what is left of it.
        spans.push({ ...span, start: Math.max(0, span.start - offset), end: span.end - offset });
      }
      // A match reaching into the held text is not final: hold it whole.
      for (let i = spans.length - 1; i >= 0; i--) {
        const span = spans[i] as Span;
        if (span.end > hold && span.start < hold) hold = span.start;
      }
      spans = spans.filter((span) => span.end <= hold);
    }
    const raw = this.pending.slice(0, hold);
    const out = this.rewrite(raw, spans, jsonString, pseudonyms);
    this.recordFindings(raw, spans);
    this.pending = this.pending.slice(hold);
    this.released += hold;
    return out;
  }

  /**
   * An address the analyzer found but does not count yet (a prefecture and city, a city and
   * town) may still get its block number: it is held while it ends close to the end of the
   * text, with no space or clause boundary after it.
   */
  private holdOpenAddress(candidates: readonly Span[], offset: number, hold: number): number {
    for (const candidate of candidates) {
      const start = candidate.start - offset;
      const end = candidate.end - offset;
      if (candidate.type !== 'JP_ADDRESS' || start >= hold || end <= 0 || this.pending.length - end > ADDRESS_REACH) continue;
      if (hasBreakFrom(this.pending, end)) continue;
      hold = Math.min(hold, Math.max(0, start));
    }
    return hold;
  }

  private rewrite(raw: string, spans: readonly Span[], jsonString: boolean, pseudonyms: PseudonymTable): string {
    let out = '';
    let cursor = 0;
    for (const span of spans) {
      if (this.options.responseActionFor(span.type) !== 'mask') continue;
      out += pseudonyms.restore(raw.slice(cursor, span.start), jsonString) + `[${span.type}]`;
      cursor = span.end;
    }
    return out + pseudonyms.restore(raw.slice(cursor), jsonString);
  }

  private recordFindings(raw: string, spans: readonly Span[]): void {
    const base = this.context.length;
    const window = this.context + raw;
    const all = [...this.contextSpans, ...spans.map((span) => ({ ...span, start: span.start + base, end: span.end + base }))];
    all.forEach((span, index) => {
      if (index < this.contextSpans.length) return;
      this.options.onFinding?.({
        span,
        action: this.options.responseActionFor(span.type),
        start: this.released + span.start - base,
        end: this.released + span.end - base,
        preview: maskedPreview(window, all, index),
      });
    });
    const drop = Math.max(0, window.length - CONTEXT);
    this.context = window.slice(drop);
    this.contextSpans = all
      .filter((span) => span.end > drop)
      .map((span) => ({ ...span, start: Math.max(0, span.start - drop), end: span.end - drop }));
  }
}
