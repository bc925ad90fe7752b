// A statistical second opinion on Japanese person names: a linear-chain tagger (averaged
// structured perceptron, BIO tags) over kuromoji tokens, trained on real annotated text by
// test/eval/train-ja-names.ts. The rules (person-names.ts) know context words; what they cannot
// know is which of the thousands of katakana or kanji words no dictionary lists are people
// (ツヴォルキンは…, 信盛は…). The tagger reads the word's shape (katakana endings, character
// bigrams), its neighbours, its POS, the context flags of person-context.ts and the rules' own
// verdict, and decides per token. Features are hashed into a fixed table (no feature strings are
// built at run time), so tagging costs about a microsecond per token on top of kuromoji.
import { gunzipSync } from 'node:zlib';
import type { Span } from '../types.js';
import type { JapaneseToken } from './kuromoji-tokenizer.js';
import { isHonorific, isTitle, labelledBefore, roleBefore, saidOfAPerson } from './person-context.js';
import type { WordKind } from './person-names.js';

/** Tags: outside (0), beginning (1), inside (2) of a name. */
export const TAGS = 3;
const O = 0;
const I = 2;

/** A trained model: hashed feature weights (`2^bits` buckets × 3 tags) and tag transitions. */
export interface PersonTaggerModel {
  readonly bits: number;
  readonly weights: Float32Array;
  /** [from][to] (from = 3: sentence start), flattened: 4 × 3. */
  readonly transitions: Float32Array;
  /** Katakana word → "sounds like a person" (hashed character n-grams, `2^shapeBits` buckets). */
  readonly shapeBits: number;
  readonly shapeWeights: Float32Array;
}

/** What the tagger reads besides the tokens: the rules' spans and the dictionary lookup. */
export interface TaggerContext {
  readonly ruleSpans: readonly Span[];
  readonly lookUpWord: (word: string) => WordKind;
}

// ---------------------------------------------------------------- feature hashing
// FNV-1a over a template id and up to two strings: a feature is a number, never a string.
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 16777619;

function mixString(hash: number, text: string): number {
  let h = hash;
  for (let k = 0; k < text.length; k++) {
    h ^= text.charCodeAt(k);
    h = Math.imul(h, FNV_PRIME);
  }
  return h;
}

function mixNumber(hash: number, value: number): number {
  return Math.imul(hash ^ (value & 0xffff), FNV_PRIME);
}

function feature(template: number, a: string, b?: string): number {
  let h = mixNumber(FNV_OFFSET, template);
  h = mixString(h, a);
  if (b !== undefined) h = mixString(mixNumber(h, 0x1f), b);
  return h >>> 0;
}

// ---------------------------------------------------------------- token shape
/** One letter per character class: K katakana, H hiragana, C kanji, A Latin, D digit, J joiner, S other. */
function charClass(code: number): string {
  if (code === 0x30fb || code === 0x3d || code === 0xff1d || code === 0xb7 || code === 0xff65) return 'J'; // ・ = ＝ · ･
  if ((code >= 0x30a1 && code <= 0x30fa) || code === 0x30fc || (code >= 0xff66 && code <= 0xff9f)) return 'K';
  if (code >= 0x3041 && code <= 0x309f) return 'H';
  if ((code >= 0x4e00 && code <= 0x9fff) || (code >= 0x3400 && code <= 0x4dbf) || code === 0x3005 || (code >= 0xf900 && code <= 0xfaff)) return 'C';
  if ((code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || (code >= 0xff21 && code <= 0xff3a) || (code >= 0xff41 && code <= 0xff5a) || (code >= 0xc0 && code <= 0x24f)) return 'A';
  if ((code >= 0x30 && code <= 0x39) || (code >= 0xff10 && code <= 0xff19)) return 'D';
  return 'S';
}

/** The classes of a word, runs collapsed (ジョン・F → KJA), at most 4 letters. */
function shapeOf(word: string): string {
  let shape = '';
  let last = '';
  for (let k = 0; k < word.length && shape.length < 4; k++) {
    const cls = charClass(word.charCodeAt(k));
    if (cls !== last) shape += cls;
    last = cls;
  }
  return shape;
}

function posOf(token: JapaneseToken | undefined, levels: number): string {
  if (token === undefined) return '<none>';
  if (levels === 1) return token.pos;
  if (levels === 2) return `${token.pos},${token.pos_detail_1}`;
  return `${token.pos},${token.pos_detail_1},${token.pos_detail_2},${token.pos_detail_3}`;
}

/** The basic form of the first verb or verbal noun within 8 tokens of `from`, before 。 */
function predicateAfter(tokens: readonly JapaneseToken[], from: number): string | undefined {
  for (let k = from; k < Math.min(tokens.length, from + 8); k++) {
    const token = tokens[k]!;
    if (token.surface_form === '。') return undefined;
    if (token.pos === '動詞' && token.pos_detail_1 === '自立') return token.basic_form;
    if (token.pos === '名詞' && token.pos_detail_1 === 'サ変接続') return token.surface_form;
  }
  return undefined;
}

const COPULA_AFTER = /^(?:で|だ|だっ|です|でし)$/;

/** The noun a sentence defines its subject as (…パキスタンの企業である → 企業), if it does. */
function definedAs(tokens: readonly JapaneseToken[], from: number): string | undefined {
  for (let k = from; k < Math.min(tokens.length - 1, from + 40); k++) {
    const token = tokens[k]!;
    if (token.surface_form === '。') return undefined;
    if (token.pos !== '名詞' || !COPULA_AFTER.test(tokens[k + 1]!.surface_form)) continue;
    const after = tokens[k + 2]?.surface_form;
    if (tokens[k + 1]!.surface_form === 'で' && after !== 'ある' && after !== 'あっ' && after !== 'あり') continue;
    return token.pos_detail_1 === '接尾' ? `~${token.surface_form}` : token.surface_form;
  }
  return undefined;
}

const lengthBucket = (length: number): string => (length >= 6 ? '6+' : String(length));

/** The rules' tag per token (B/I/O) and their score, from the spans person-names.ts found. */
function ruleTags(tokens: readonly JapaneseToken[], spans: readonly Span[]): string[] {
  const tags = new Array<string>(tokens.length).fill('O');
  let s = 0;
  for (let i = 0; i < tokens.length; i++) {
    const start = tokens[i]!.word_position - 1;
    const end = start + tokens[i]!.surface_form.length;
    while (s < spans.length && spans[s]!.end <= start) s++;
    const span = spans[s];
    if (span === undefined || span.start >= end) continue;
    const strength = span.score >= 0.85 ? 'hi' : span.score >= 0.5 ? 'mid' : 'lo';
    tags[i] = `${span.start >= start ? 'B' : 'I'}${strength}`;
  }
  return tags;
}

/**
 * The hashed character n-grams of a katakana word (with ^ and $ at its ends: ^アイ, スキー$):
 * what the word-shape classifier reads. Exported for the trainer.
 */
export function shapeFeatures(word: string): number[] {
  const padded = `^${word}$`;
  const out = [feature(40, lengthBucket(word.length))];
  for (let k = 0; k + 1 < padded.length; k++) out.push(feature(41, padded.slice(k, k + 2)));
  for (let k = 0; k + 2 < padded.length; k++) out.push(feature(42, padded.slice(k, k + 3)));
  return out;
}

/** How much a katakana word sounds like a person's name (> 0) rather than a place, firm or loanword. */
export function katakanaNameScore(model: Pick<PersonTaggerModel, 'shapeBits' | 'shapeWeights'>, word: string): number {
  if (model.shapeWeights.length === 0) return 0;
  const mask = (1 << model.shapeBits) - 1;
  let sum = 0;
  for (const hash of shapeFeatures(word)) sum += model.shapeWeights[hash & mask]!;
  return sum;
}

const scoreBucket = (value: number): string => String(Math.max(-3, Math.min(3, Math.round(value))));

const SENTENCE_END = /^[。．！？!?]$|\n/;

/**
 * [start, end) token ranges of the sentences (a 。/！/？ or a line break ends one). Each is tagged
 * on its own, so a text gives the same names whole or cut at sentence ends (the analyzer's queue
 * analyzes long texts in such segments).
 */
export function sentenceRanges(tokens: readonly JapaneseToken[]): [number, number][] {
  const ranges: [number, number][] = [];
  let start = 0;
  tokens.forEach((token, i) => {
    if (SENTENCE_END.test(token.surface_form)) {
      ranges.push([start, i + 1]);
      start = i + 1;
    }
  });
  if (start < tokens.length) ranges.push([start, tokens.length]);
  return ranges;
}

type ShapeModel = Pick<PersonTaggerModel, 'shapeBits' | 'shapeWeights'>;

/**
 * The hashed features of every token (a flat list per token), sentence by sentence. Exported for
 * the trainer, which must see exactly what the scorer sees.
 */
export function extractFeatures(tokens: readonly JapaneseToken[], context: TaggerContext, nameShape?: ShapeModel): Uint32Array[] {
  return sentenceRanges(tokens).flatMap(([start, end]) => sentenceFeatures(tokens.slice(start, end), context, nameShape));
}

function sentenceFeatures(tokens: readonly JapaneseToken[], context: TaggerContext, nameShape?: ShapeModel): Uint32Array[] {
  const rules = ruleTags(tokens, [...context.ruleSpans].sort((a, b) => a.start - b.start));
  const shapeModel = nameShape !== undefined && nameShape.shapeWeights.length > 0 ? nameShape : undefined;
  const shapes = tokens.map((token) => shapeOf(token.surface_form));
  const nameWords = new Set<string>();
  tokens.forEach((token, i) => {
    if (rules[i] !== 'O' && !rules[i]!.endsWith('lo')) for (const part of token.surface_form.split(/[・＝=·･]/)) if (part.length > 1) nameWords.add(part);
  });
  const out: Uint32Array[] = [];
  const f: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const word = token.surface_form;
    const previous = tokens[i - 1];
    const next = tokens[i + 1];
    const shape = shapes[i]!;
    f.length = 0;
    f.push(
      feature(1, ''),
      feature(2, word),
      feature(3, previous?.surface_form ?? '<s>'),
      feature(4, next?.surface_form ?? '</s>'),
      feature(5, tokens[i - 2]?.surface_form ?? '<s>'),
      feature(6, tokens[i + 2]?.surface_form ?? '</s>'),
      feature(7, posOf(token, 4)),
      feature(8, posOf(previous, 4)),
      feature(9, posOf(next, 4)),
      feature(10, posOf(tokens[i - 2], 2)),
      feature(11, posOf(tokens[i + 2], 2)),
      feature(12, shape, `${token.word_type}${lengthBucket(word.length)}`),
      feature(13, `${shapes[i - 1] ?? '<s>'}|${shape}`, shapes[i + 1] ?? '</s>'),
      feature(14, word.slice(0, 1), shape),
      feature(15, word.slice(0, 2), shape),
      feature(16, word.slice(-1), shape),
      feature(17, word.slice(-2), shape),
      feature(18, word.slice(-3), shape),
      feature(19, rules[i]!),
      feature(20, rules[i - 1] ?? '<s>', rules[i + 1] ?? '</s>'),
      feature(21, previous?.surface_form ?? '<s>', posOf(token, 4)),
      feature(22, posOf(token, 4), next?.surface_form ?? '</s>'),
      feature(23, next?.surface_form ?? '</s>', tokens[i + 2]?.surface_form ?? '</s>'),
      feature(24, tokens[i - 2]?.surface_form ?? '<s>', previous?.surface_form ?? '<s>'),
      feature(25, token.basic_form === '*' ? word : token.basic_form, posOf(next, 2)),
    );
    f.push(feature(26, shape, next?.surface_form ?? '</s>'), feature(27, previous?.surface_form ?? '<s>', shape));
    // What the phrase does: the particle after the word and the next verb or verbal noun.
    if (next !== undefined && next.pos === '助詞') {
      const predicate = predicateAfter(tokens, i + 2);
      if (predicate !== undefined) f.push(feature(28, next.surface_form, predicate), feature(29, shape, predicate));
    }
    // Xは…企業である / …作家だった: what the sentence says X is.
    if (next !== undefined && (next.surface_form === 'は' || next.surface_form === 'が')) {
      const defined = definedAs(tokens, i + 2);
      if (defined !== undefined) f.push(feature(37, defined), feature(38, shape, defined));
    }
    // The same word inside a name the rules found elsewhere in the text (ジョン・スミス … スミスは).
    if (rules[i] === 'O' && shape !== 'H' && word.length > 1 && nameWords.has(word)) f.push(feature(36, shape));
    if (isHonorific(next)) f.push(feature(30, 'honorific'));
    if (isTitle(next)) f.push(feature(30, 'title'));
    if (roleBefore(tokens, i)) f.push(feature(30, 'role'));
    if (labelledBefore(tokens, i)) f.push(feature(30, 'label'));
    if (saidOfAPerson(tokens, i + 1)) f.push(feature(30, 'said', shape));
    // Katakana words: their character bigrams (ヴォ, ソン, ッキ) say foreign person or place.
    if (shape === 'K' || shape === 'KJK' || shape.startsWith('KJ')) {
      for (let k = 0; k + 1 < word.length && k < 12; k++) f.push(feature(31, word.slice(k, k + 2)));
    }
    if (shape === 'K' && shapeModel !== undefined) f.push(feature(34, scoreBucket(katakanaNameScore(shapeModel, word)), token.word_type));
    // ロッキー・ロメロ read as one unknown word: how the dictionary reads each part alone.
    if (shape.includes('J') && word.length > 2) {
      const parts = word.split(/[・＝=·･]/).filter((part) => part.length > 0);
      const kinds = parts.map((part) => context.lookUpWord(part));
      f.push(feature(32, kinds.join('|')));
      f.push(feature(33, kinds[0] ?? '', kinds[kinds.length - 1] ?? ''));
      if (shapeModel !== undefined) {
        const scores = parts.filter((part) => part.length > 1).map((part) => katakanaNameScore(shapeModel, part));
        if (scores.length > 0) f.push(feature(35, scoreBucket(Math.min(...scores)), scoreBucket(Math.max(...scores))));
      }
    }
    out.push(Uint32Array.from(f));
  }
  return out;
}

// ---------------------------------------------------------------- scoring
/** Emission scores of every token for every tag: tokens × 3. */
function emissions(model: PersonTaggerModel, features: readonly Uint32Array[]): Float32Array {
  const mask = (1 << model.bits) - 1;
  const scores = new Float32Array(features.length * TAGS);
  for (let i = 0; i < features.length; i++) {
    let o = 0;
    let b = 0;
    let n = 0;
    for (const hash of features[i]!) {
      const at = (hash & mask) * TAGS;
      o += model.weights[at]!;
      b += model.weights[at + 1]!;
      n += model.weights[at + 2]!;
    }
    scores[i * TAGS] = o;
    scores[i * TAGS + 1] = b;
    scores[i * TAGS + 2] = n;
  }
  return scores;
}

/**
 * The best tag sequence (Viterbi). `outsideBias` is added to every O score: raising it trades
 * recall for precision. I never follows O (an ill-formed path is not considered).
 */
export function decodeTags(model: PersonTaggerModel, features: readonly Uint32Array[], outsideBias = 0): Uint8Array {
  return viterbi(model, emissions(model, features), features.length, outsideBias);
}

function viterbi(model: PersonTaggerModel, emit: Float32Array, n: number, outsideBias: number): Uint8Array {
  const tags = new Uint8Array(n);
  if (n === 0) return tags;
  const score = new Float32Array(n * TAGS);
  const back = new Uint8Array(n * TAGS);
  const t = model.transitions;
  for (let tag = 0; tag < TAGS; tag++) score[tag] = tag === I ? -Infinity : t[3 * TAGS + tag]! + emit[tag]! + (tag === O ? outsideBias : 0);
  for (let i = 1; i < n; i++) {
    for (let tag = 0; tag < TAGS; tag++) {
      let best = -Infinity;
      let from = 0;
      for (let p = 0; p < TAGS; p++) {
        if (tag === I && p === O) continue;
        const value = score[(i - 1) * TAGS + p]! + t[p * TAGS + tag]!;
        if (value > best) {
          best = value;
          from = p;
        }
      }
      score[i * TAGS + tag] = best + emit[i * TAGS + tag]! + (tag === O ? outsideBias : 0);
      back[i * TAGS + tag] = from;
    }
  }
  let last = 0;
  for (let tag = 1; tag < TAGS; tag++) if (score[(n - 1) * TAGS + tag]! > score[(n - 1) * TAGS + last]!) last = tag;
  for (let i = n - 1; i >= 0; i--) {
    tags[i] = last;
    last = back[i * TAGS + last]!;
  }
  return tags;
}

const SPACE_OR_JOINER = /^[\s・＝=·･]+$/u;
// Margins (weight units) spread out so a mean margin of ~40 maps to 0.8 (typical: 10-100).
const MARGIN_SCALE = 40;

/**
 * Name spans from tags. The score grows with the tokens' mean margin of name over outside
 * (0.55 at a tie, towards 0.84), so a stricter JP_NAME threshold keeps the surer ones; only
 * context (an honorific, a title: the rules' 0.85+) makes a name surer than the tagger alone.
 */
export function spansFromTags(tokens: readonly JapaneseToken[], tags: Uint8Array, margins?: Float32Array): Span[] {
  const spans: Span[] = [];
  for (let i = 0; i < tokens.length; ) {
    if (tags[i] === O) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < tokens.length && tags[j] === I) j++;
    let last = j - 1;
    while (last > i && SPACE_OR_JOINER.test(tokens[last]!.surface_form)) last--; // never end on a joiner
    let margin = 0;
    if (margins !== undefined) {
      for (let k = i; k <= last; k++) margin += margins[k]!;
      margin /= last - i + 1;
    }
    const start = tokens[i]!.word_position - 1;
    const end = tokens[last]!.word_position - 1 + tokens[last]!.surface_form.length;
    const score = 0.55 + 0.29 * (1 - Math.exp(-Math.max(margin, 0) / MARGIN_SCALE));
    if (!SPACE_OR_JOINER.test(tokens[i]!.surface_form)) spans.push({ type: 'JP_NAME', start, end, score, detector: 'jp-person-tagger' });
    i = j;
  }
  return spans;
}

/** Per token, how much more the tagger likes its name tag than O (0 for O tokens). */
function nameMargins(emit: Float32Array, tags: Uint8Array): Float32Array {
  const margins = new Float32Array(tags.length);
  for (let i = 0; i < tags.length; i++) if (tags[i] !== O) margins[i] = emit[i * TAGS + tags[i]!]! - emit[i * TAGS]!;
  return margins;
}

/** What the tagger says of a text: its names, and what it would still call a name if less strict. */
export interface TaggedNames {
  readonly names: Span[];
  /** The spans of a decoding with `lenientBias`: a rule finding outside all of them is vetoed. */
  readonly possible: Span[];
}

/** The tagger's person-name spans over `tokens` at `outsideBias`, and at `lenientBias`. */
export function tagPersonNames(model: PersonTaggerModel, tokens: readonly JapaneseToken[], context: TaggerContext, outsideBias = 0, lenientBias = outsideBias): TaggedNames {
  const names: Span[] = [];
  const possible: Span[] = [];
  for (const [start, end] of sentenceRanges(tokens)) {
    const sentence = tokens.slice(start, end);
    const emit = emissions(model, sentenceFeatures(sentence, context, model));
    const tags = viterbi(model, emit, sentence.length, outsideBias);
    const found = spansFromTags(sentence, tags, nameMargins(emit, tags));
    names.push(...found);
    possible.push(...(lenientBias === outsideBias ? found : spansFromTags(sentence, viterbi(model, emit, sentence.length, lenientBias))));
  }
  return { names, possible };
}

// ---------------------------------------------------------------- model file
/** The stored form (person-tagger-model.json): weights as int16, gzipped, base64. */
export interface StoredPersonTaggerModel {
  readonly format: 'kagami-person-tagger/1';
  readonly bits: number;
  /** Weight = int16 × scale. */
  readonly scale: number;
  readonly transitions: readonly number[];
  readonly shapeBits: number;
  readonly shapeScale: number;
  readonly shapeWeights: string;
  /** O biases chosen by cross-validation inside the training half: for names, and for the rules' veto. */
  readonly outsideBias: number;
  readonly lenientBias: number;
  readonly weights: string;
  readonly trainedOn: string;
  readonly source: string;
  readonly licence: string;
}

/** Weights as int16 × scale, gzipped, base64. */
function packWeights(weights: Float32Array, gzip: (bytes: Uint8Array) => Uint8Array): { scale: number; packed: string } {
  let max = 0;
  for (const weight of weights) max = Math.max(max, Math.abs(weight));
  const scale = max === 0 ? 1 : max / 32767;
  const quantized = new Int16Array(weights.length);
  for (let k = 0; k < quantized.length; k++) quantized[k] = Math.round(weights[k]! / scale);
  return { scale, packed: Buffer.from(gzip(new Uint8Array(quantized.buffer))).toString('base64') };
}

function unpackWeights(packed: string, scale: number, length: number): Float32Array {
  const bytes = new Uint8Array(gunzipSync(Buffer.from(packed, 'base64'))); // own, aligned buffer
  const quantized = new Int16Array(bytes.buffer, 0, bytes.byteLength / 2);
  if (quantized.length !== length) throw new Error('person tagger model: weight table has the wrong size');
  const weights = new Float32Array(length);
  for (let k = 0; k < length; k++) weights[k] = quantized[k]! * scale;
  return weights;
}

export function encodeModel(
  model: PersonTaggerModel,
  meta: Pick<StoredPersonTaggerModel, 'outsideBias' | 'lenientBias' | 'trainedOn' | 'source' | 'licence'>,
  gzip: (bytes: Uint8Array) => Uint8Array,
): StoredPersonTaggerModel {
  const weights = packWeights(model.weights, gzip);
  const shape = packWeights(model.shapeWeights, gzip);
  return {
    format: 'kagami-person-tagger/1',
    bits: model.bits,
    scale: weights.scale,
    transitions: [...model.transitions].map((value) => Math.round(value * 1e4) / 1e4),
    shapeBits: model.shapeBits,
    shapeScale: shape.scale,
    shapeWeights: shape.packed,
    outsideBias: meta.outsideBias,
    lenientBias: meta.lenientBias,
    weights: weights.packed,
    trainedOn: meta.trainedOn,
    source: meta.source,
    licence: meta.licence,
  };
}

export function decodeModel(stored: StoredPersonTaggerModel): PersonTaggerModel {
  if (stored.format !== 'kagami-person-tagger/1') throw new Error(`unknown person tagger model format: ${String(stored.format)}`);
  return {
    bits: stored.bits,
    weights: unpackWeights(stored.weights, stored.scale, (1 << stored.bits) * TAGS),
    transitions: Float32Array.from(stored.transitions),
    shapeBits: stored.shapeBits,
    shapeWeights: unpackWeights(stored.shapeWeights, stored.shapeScale, 1 << stored.shapeBits),
  };
}

// ---------------------------------------------------------------- with the rules
/** A rule span this sure (an honorific, a title, a form label) stands even where the tagger disagrees. */
export const RULE_STANDS = 0.85;
/** The score a rule span keeps when the tagger rejects it: under the default threshold, still logged below it. */
const OVERRULED = 0.45;

/**
 * The tagger decides, the rules' sure findings stand: a tagger span takes the score of a surer
 * rule span it overlaps; a sure rule span the tagger missed is kept (田中さん in a prompt, where
 * the encyclopedic training text has few honorifics), and so is a rule span the tagger would
 * still call a name when less strict (`possible`) or one right next to a kept name (前田　大輔:
 * the given name after a space); other rule spans drop under the threshold.
 */
export function combineNameSpans(ruleSpans: readonly Span[], tagged: TaggedNames): Span[] {
  const overlaps = (a: Span, b: Span): boolean => a.start < b.end && b.start < a.end;
  const kept = tagged.names.map((span) => {
    const best = ruleSpans.reduce((score, rule) => (overlaps(rule, span) ? Math.max(score, rule.score) : score), 0);
    return best > span.score ? { ...span, score: best } : span;
  });
  const pending = ruleSpans.filter((rule) => !tagged.names.some((span) => overlaps(rule, span)));
  for (const rule of pending) if (rule.score >= RULE_STANDS || tagged.possible.some((span) => overlaps(rule, span))) kept.push(rule);
  const dropped = pending.filter((rule) => !kept.includes(rule));
  for (let changed = true; changed; ) {
    changed = false;
    for (let k = 0; k < dropped.length; k++) {
      const rule = dropped[k]!;
      if (rule.score < 0.5 || !kept.some((span) => rule.start - span.end <= 1 && span.start - rule.end <= 1)) continue;
      kept.push(rule);
      dropped.splice(k--, 1);
      changed = true;
    }
  }
  for (const rule of dropped) kept.push({ ...rule, score: Math.min(rule.score, OVERRULED) });
  return kept.sort((a, b) => a.start - b.start);
}
