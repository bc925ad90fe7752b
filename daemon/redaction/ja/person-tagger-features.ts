// What the person-name tagger (person-tagger.ts) reads of each kuromoji token, as hashed feature
// ids: the word, its neighbours and their POS, its shape (character classes, first and last
// characters, katakana bigrams), context flags from person-context.ts, the rules' verdict, what
// the sentence goes on to do with it. Every string is hashed once per token and features are
// mixed from those integers, so a token costs no string building and no allocation of its own
// (the tagger must stay a small fraction of tokenizing: issue 4's ≥ 0.8× raw kuromoji).
import type { Span } from '../types.js';
import type { JapaneseToken } from './kuromoji-tokenizer.js';
import { isHonorific, isTitle, labelledBefore, roleBefore, saidOfAPerson } from './person-context.js';
import type { WordKind } from './person-names.js';

/** What the tagger reads besides the tokens: the rules' spans and the dictionary lookup. */
export interface TaggerContext {
  /** Sorted by start (as findPersonNames returns them). */
  readonly ruleSpans: readonly Span[];
  readonly lookUpWord: (word: string) => WordKind;
}

/** The katakana word-shape classifier's weights (hashed character n-grams). */
export interface ShapeModel {
  readonly shapeBits: number;
  readonly shapeWeights: Float32Array;
}

/**
 * Feature ids of a run of tokens: token i owns hashes[offsets[i]] up to hashes[offsets[i + 1]].
 * A token that cannot be part of a name (candidate[i] = 0: particles, verbs, punctuation…) has
 * none and is outside every name.
 */
export interface TokenFeatures {
  readonly count: number;
  readonly hashes: Uint32Array;
  readonly offsets: Uint32Array;
  readonly candidate: Uint8Array;
}

/**
 * The tokens that may be part of a name, the only ones scored (a fifth of all tokens): what the
 * rules took for one, proper nouns, unknown words, katakana and single-kanji common nouns (信+盛),
 * noun suffixes (…+彦), prefixes (大+伴), name joiners and spaces. Verbal nouns, numbers, counters,
 * known two-kanji words, particles and verbs hold 1.3% of the name tokens of ner-wikipedia-ja.
 */
function isCandidate(token: JapaneseToken, ruleTag: number): boolean {
  if (ruleTag > 0 || token.pos === '接頭詞') return true;
  if (token.pos === '記号') return JOINER_OR_SPACE.test(token.surface_form) || token.surface_form === '々';
  if (token.pos !== '名詞') return false;
  const kind = token.pos_detail_1;
  if (kind === '固有名詞') return true;
  if (kind === '数') return false;
  if (token.word_type === 'UNKNOWN') return true;
  if (kind === '接尾') return token.pos_detail_2 === '一般';
  return kind === '一般' && (token.surface_form.length === 1 || shapeOf(token.surface_form) === KATAKANA || charClass(token.surface_form.charCodeAt(0)) === LATIN);
}
const JOINER_OR_SPACE = /^[\s・＝=·･]+$/u;

// ---------------------------------------------------------------- hashing
/** murmur3's finaliser: spreads every input bit over the output. */
function fmix(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function feature(template: number, a: number, b = 0): number {
  return fmix((Math.imul(a, 0xcc9e2d51) ^ Math.imul(template, 0x9e3779b1)) + Math.imul(b ^ (b >>> 15), 0x27d4eb2f));
}

/** FNV-1a of text[from, to). */
function hashRange(text: string, from = 0, to = text.length): number {
  let h = 0x811c9dc5;
  for (let k = Math.max(0, from); k < to; k++) h = Math.imul(h ^ text.charCodeAt(k), 16777619);
  return h >>> 0;
}

const hashOf = (text: string): number => hashRange(text);
const START = hashOf('<s>');
const END = hashOf('</s>');

/** The hash of a token's four POS levels (名詞,固有名詞,人名,姓). */
function posHash(token: JapaneseToken): number {
  return fmix(hashOf(token.pos) ^ Math.imul(hashOf(token.pos_detail_1), 31) ^ Math.imul(hashOf(token.pos_detail_2), 37) ^ Math.imul(hashOf(token.pos_detail_3), 41));
}

// ---------------------------------------------------------------- token shape
const JOINER = 1;
const KATAKANA = 2;
const HIRAGANA = 3;
const KANJI = 4;
const LATIN = 5;
const DIGIT = 6;
const OTHER = 7;

function charClass(code: number): number {
  if (code === 0x30fb || code === 0x3d || code === 0xff1d || code === 0xb7 || code === 0xff65) return JOINER; // ・ = ＝ · ･
  if ((code >= 0x30a1 && code <= 0x30fa) || code === 0x30fc || (code >= 0xff66 && code <= 0xff9f)) return KATAKANA;
  if (code >= 0x3041 && code <= 0x309f) return HIRAGANA;
  if ((code >= 0x4e00 && code <= 0x9fff) || (code >= 0x3400 && code <= 0x4dbf) || code === 0x3005 || (code >= 0xf900 && code <= 0xfaff)) return KANJI;
  if ((code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || (code >= 0xff21 && code <= 0xff3a) || (code >= 0xff41 && code <= 0xff5a) || (code >= 0xc0 && code <= 0x24f)) return LATIN;
  if ((code >= 0x30 && code <= 0x39) || (code >= 0xff10 && code <= 0xff19)) return DIGIT;
  return OTHER;
}

/** The classes of a word, runs collapsed (ジョン・F → K J A), at most 4, as one number in base 8. */
function shapeOf(word: string): number {
  let shape = 0;
  let last = 0;
  let classes = 0;
  for (let k = 0; k < word.length && classes < 4; k++) {
    const cls = charClass(word.charCodeAt(k));
    if (cls !== last) {
      shape = shape * 8 + cls;
      classes++;
    }
    last = cls;
  }
  return shape;
}

const KATAKANA_JOINED = KATAKANA * 8 + JOINER; // the first two classes of ロッキー・ロメロ

function isKatakanaName(shape: number): boolean {
  return shape === KATAKANA || Math.floor(shape / 8) === KATAKANA_JOINED || Math.floor(shape / 64) === KATAKANA_JOINED;
}

const hasJoiner = (shape: number): boolean => shape.toString(8).includes('1');

// ---------------------------------------------------------------- the katakana word-shape classifier
/** Hashed character bigrams and trigrams of a katakana word with ^ and $ at its ends (^アイ, キー$). */
export function shapeFeatures(word: string): number[] {
  const padded = `^${word}$`;
  const out = [feature(40, Math.min(word.length, 6))];
  for (let k = 0; k + 1 < padded.length; k++) out.push(feature(41, hashRange(padded, k, k + 2)));
  for (let k = 0; k + 2 < padded.length; k++) out.push(feature(42, hashRange(padded, k, k + 3)));
  return out;
}

// Per weight table (a trainer builds several), bounded: one long-lived worker.
const nameScoreCaches = new WeakMap<Float32Array, Map<string, number>>();

/** How much a katakana word sounds like a person's name (> 0) rather than a place, firm or loanword. */
export function katakanaNameScore(model: ShapeModel, word: string): number {
  if (model.shapeWeights.length === 0) return 0;
  let nameScores = nameScoreCaches.get(model.shapeWeights);
  if (nameScores === undefined) nameScoreCaches.set(model.shapeWeights, (nameScores = new Map()));
  let score = nameScores.get(word);
  if (score === undefined) {
    const mask = (1 << model.shapeBits) - 1;
    score = 0;
    for (const hash of shapeFeatures(word)) score += model.shapeWeights[hash & mask]!;
    if (nameScores.size > 20_000) nameScores.clear();
    nameScores.set(word, score);
  }
  return score;
}

const scoreBucket = (value: number): number => Math.max(-3, Math.min(3, Math.round(value))) + 3;

// ---------------------------------------------------------------- sentence-level context
/** The rules' tag per token: 0 outside, else 1 + begins/inside × 3 + strength (lo, mid, hi). Spans sorted by start. */
function ruleTags(tokens: readonly JapaneseToken[], spans: readonly Span[]): Uint8Array {
  const tags = new Uint8Array(tokens.length);
  if (spans.length === 0) return tags;
  let s = 0;
  for (let i = 0; i < tokens.length; i++) {
    const start = tokens[i]!.word_position - 1;
    const end = start + tokens[i]!.surface_form.length;
    while (s < spans.length && spans[s]!.end <= start) s++;
    const span = spans[s];
    if (span === undefined || span.start >= end) continue;
    const strength = span.score >= 0.85 ? 2 : span.score >= 0.5 ? 1 : 0;
    tags[i] = 1 + (span.start >= start ? 0 : 3) + strength;
  }
  return tags;
}

const COPULA_AFTER = /^(?:で|だ|だっ|です|でし)$/;

/** The noun the sentence goes on to define its subject as (Xは…企業である → 企業), hashed; 0 if none. */
function definedAs(tokens: readonly JapaneseToken[], from: number): number {
  for (let k = from; k < tokens.length - 1; k++) {
    const token = tokens[k]!;
    const copula = tokens[k + 1]!.surface_form;
    if (token.pos !== '名詞' || !COPULA_AFTER.test(copula)) continue;
    const after = tokens[k + 2]?.surface_form;
    if (copula === 'で' && after !== 'ある' && after !== 'あっ' && after !== 'あり') continue;
    return fmix(hashOf(token.surface_form) ^ (token.pos_detail_1 === '接尾' ? 1 : 0));
  }
  return 0;
}

// ---------------------------------------------------------------- features
const MAX_PER_TOKEN = 48;
const JOINERS = /[・＝=·･]/;

// Scratch tables reused from one sentence to the next (one analyzer worker: no concurrency).
interface Scratch {
  readonly size: number;
  readonly candidate: Uint8Array;
  readonly words: Uint32Array;
  readonly pos4: Uint32Array;
  readonly shapes: Uint32Array;
  readonly hashes: Uint32Array;
  readonly offsets: Uint32Array;
}
const none = new Uint32Array(0);
let scratch: Scratch = { size: 0, candidate: new Uint8Array(0), words: none, pos4: none, shapes: none, hashes: none, offsets: none };

function scratchFor(n: number): Scratch {
  if (scratch.size < n) {
    const size = Math.max(n, 2 * scratch.size, 64);
    const padded = (): Uint32Array => new Uint32Array(size + 4);
    scratch = { size, candidate: new Uint8Array(size), words: padded(), pos4: padded(), shapes: padded(), hashes: new Uint32Array(size * MAX_PER_TOKEN), offsets: padded() };
  }
  return scratch;
}

/**
 * Feature ids of the tokens of one sentence (person-tagger.ts cuts text into sentences). The
 * result lives in scratch memory: valid until the next call (copy it to keep it).
 */
export function sentenceFeatures(tokens: readonly JapaneseToken[], context: TaggerContext, nameShape?: ShapeModel): TokenFeatures {
  const n = tokens.length;
  const shapeModel = nameShape !== undefined && nameShape.shapeWeights.length > 0 ? nameShape : undefined;
  const rules = ruleTags(tokens, context.ruleSpans);
  // Per token, hashed once: the word, its POS (4 levels), its shape.
  const { candidate, words, pos4, shapes, hashes, offsets } = scratchFor(n);
  words.fill(END, 0, n + 4);
  pos4.fill(END, 0, n + 4);
  shapes.fill(0, 0, n + 4);
  const at = (i: number): number => i + 2; // two slots of padding each side: <s> <s> tokens </s> </s>
  words[0] = words[1] = pos4[0] = pos4[1] = START;
  for (let i = 0; i < n; i++) candidate[i] = isCandidate(tokens[i]!, rules[i]!) ? 1 : 0;
  // Only candidates and their neighbours are read.
  for (let i = 0; i < n; i++) {
    if (candidate[i] === 0 && candidate[i - 1] !== 1 && (i + 1 >= n || candidate[i + 1] === 0)) continue;
    const token = tokens[i]!;
    words[at(i)] = hashOf(token.surface_form);
    pos4[at(i)] = posHash(token);
    shapes[at(i)] = shapeOf(token.surface_form);
  }

  let count = 0;
  const add = (template: number, a: number, b = 0): void => {
    hashes[count++] = feature(template, a, b);
  };
  for (let i = 0; i < n; i++) {
    offsets[i] = count;
    const token = tokens[i]!;
    if (candidate[i] === 0) continue;
    const word = token.surface_form;
    const next = tokens[i + 1];
    const c = at(i);
    const shape = shapes[c]!;
    const w = words[c]!;
    const p = pos4[c]!;
    const length = Math.min(word.length, 6);
    add(1, 0);
    add(2, w);
    add(3, words[c - 1]!);
    add(4, words[c + 1]!);
    add(7, p);
    add(8, pos4[c - 1]!);
    add(9, pos4[c + 1]!);
    add(12, shape, length * 2 + (token.word_type === 'KNOWN' ? 1 : 0));
    add(13, shapes[c - 1]! * 4096 + shape, shapes[c + 1]!);
    add(14, hashRange(word, 0, 1), shape);
    add(16, hashRange(word, word.length - 1), shape);
    add(17, hashRange(word, word.length - 2), shape);
    add(19, rules[i]!);
    add(20, i > 0 ? rules[i - 1]! : 99, i + 1 < n ? rules[i + 1]! : 99);
    add(26, shape, words[c + 1]!);
    add(27, words[c - 1]!, shape);
    // Xは…企業である / …作家だった: what the sentence says X is.
    const defined = next?.surface_form === 'は' || next?.surface_form === 'が' ? definedAs(tokens, i + 2) : 0;
    if (defined !== 0) {
      add(37, defined);
      add(38, shape, defined);
    }
    if (isHonorific(next)) add(30, 1);
    if (isTitle(next)) add(30, 2);
    if (roleBefore(tokens, i)) add(30, 3);
    if (labelledBefore(tokens, i)) add(30, 4);
    // (read to the end of the sentence, so only for the words no dictionary knows)
    if ((token.word_type === 'UNKNOWN' || shape === KATAKANA) && saidOfAPerson(tokens, i + 1)) add(30, 5, shape);
    if (isKatakanaName(shape)) {
      // Katakana character bigrams (ヴォ, ソン, ッキ) say foreign person or place.
      for (let k = 0; k + 1 < word.length && k < 12; k++) add(31, word.charCodeAt(k), word.charCodeAt(k + 1));
      if (shape === KATAKANA && shapeModel !== undefined) add(34, scoreBucket(katakanaNameScore(shapeModel, word)), token.word_type === 'KNOWN' ? 1 : 0);
    }
    // ロッキー・ロメロ read as one unknown word: how the dictionary reads each part alone.
    if (hasJoiner(shape) && word.length > 2) {
      const parts = word.split(JOINERS).filter((part) => part.length > 0);
      let kinds = 0x811c9dc5;
      for (const part of parts) kinds = Math.imul(kinds ^ hashOf(context.lookUpWord(part)), 16777619);
      add(32, kinds >>> 0);
      add(33, hashOf(context.lookUpWord(parts[0] ?? '')), hashOf(context.lookUpWord(parts[parts.length - 1] ?? '')));
      if (shapeModel !== undefined) {
        let low = Infinity;
        let high = -Infinity;
        for (const part of parts) {
          if (part.length < 2) continue;
          const score = katakanaNameScore(shapeModel, part);
          low = Math.min(low, score);
          high = Math.max(high, score);
        }
        if (low !== Infinity) add(35, scoreBucket(low), scoreBucket(high));
      }
    }
  }
  offsets[n] = count;
  return { count: n, hashes, offsets, candidate };
}
