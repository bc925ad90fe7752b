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
import { sentenceFeatures, type ShapeModel, type TaggerContext, type TokenFeatures } from './person-tagger-features.js';

/** Tags: outside (0), beginning (1), inside (2) of a name. */
export const TAGS = 3;
const O = 0;
const I = 2;

/** A trained model: hashed feature weights (`2^bits` buckets × 3 tags) and tag transitions. */
export interface PersonTaggerModel extends ShapeModel {
  readonly bits: number;
  /** Float while training; the shipped model keeps its int16 values (half the memory to read), times `weightScale`. */
  readonly weights: Float32Array | Int16Array;
  readonly weightScale: number;
  /** [from][to] (from = 3: sentence start), flattened: 4 × 3. */
  readonly transitions: Float32Array;
}


const SENTENCE_END = new Set(['。', '．', '！', '？', '!', '?']);

/**
 * [start, end) token ranges of the sentences (a 。/！/？ or a line break ends one). Each is tagged
 * on its own, so a text gives the same names whole or cut at sentence ends (the analyzer's queue
 * analyzes long texts in such segments).
 */
export function sentenceRanges(tokens: readonly JapaneseToken[]): [number, number][] {
  const ranges: [number, number][] = [];
  let start = 0;
  tokens.forEach((token, i) => {
    if (SENTENCE_END.has(token.surface_form) || token.surface_form.includes('\n')) {
      ranges.push([start, i + 1]);
      start = i + 1;
    }
  });
  if (start < tokens.length) ranges.push([start, tokens.length]);
  return ranges;
}

/** The features of every token of a text, sentence by sentence (for the trainer: what the scorer sees). */
export function extractFeatures(tokens: readonly JapaneseToken[], context: TaggerContext, nameShape?: ShapeModel): TokenFeatures {
  const parts = sentenceRanges(tokens).map(([start, end]) => sentenceFeatures(tokens.slice(start, end), context, nameShape));
  const total = parts.reduce((sum, part) => sum + part.offsets[part.count]!, 0);
  const hashes = new Uint32Array(total);
  const offsets = new Uint32Array(tokens.length + 1);
  const candidate = new Uint8Array(tokens.length);
  let token = 0;
  let at = 0;
  for (const part of parts) {
    candidate.set(part.candidate.subarray(0, part.count), token);
    for (let i = 0; i < part.count; i++) offsets[token++] = at + part.offsets[i]!;
    hashes.set(part.hashes.subarray(0, part.offsets[part.count]!), at);
    at += part.offsets[part.count]!;
  }
  offsets[tokens.length] = at;
  return { count: tokens.length, hashes, offsets, candidate };
}

// ---------------------------------------------------------------- scoring
// Scratch memory for scores, reused sentence after sentence (one analyzer worker, no concurrency).
let emitScratch = new Float32Array(0);
let pathScratch = new Float32Array(0);
let backScratch = new Uint8Array(0);

/** Emission scores of every token for every tag (tokens × 3), in scratch memory valid until the next call. */
function emissions(model: PersonTaggerModel, features: TokenFeatures): Float32Array {
  const mask = (1 << model.bits) - 1;
  const weights = model.weights;
  const scale = model.weightScale;
  const { hashes, offsets, count, candidate } = features;
  if (emitScratch.length < count * TAGS) emitScratch = new Float32Array(Math.max(count * TAGS, 2 * emitScratch.length));
  const scores = emitScratch;
  for (let i = 0; i < count; i++) {
    let o = 0;
    let b = 0;
    let n = 0;
    if (candidate[i] === 1) {
      for (let k = offsets[i]!, end = offsets[i + 1]!; k < end; k++) {
        const at = (hashes[k]! & mask) * TAGS;
        o += weights[at]!;
        b += weights[at + 1]!;
        n += weights[at + 2]!;
      }
    }
    scores[i * TAGS] = o * scale;
    scores[i * TAGS + 1] = b * scale;
    scores[i * TAGS + 2] = n * scale;
  }
  return scores;
}

/**
 * The best tag sequence (Viterbi). `outsideBias` is added to every O score: raising it trades
 * recall for precision. I never follows O (an ill-formed path is not considered).
 */
export function decodeTags(model: PersonTaggerModel, features: TokenFeatures, outsideBias = 0): Uint8Array {
  return viterbi(model, emissions(model, features), features.candidate, features.count, outsideBias);
}

/**
 * Viterbi over the runs of candidate tokens only: a token that cannot be in a name is O, so the
 * best path splits there into independent runs (the same path as over the whole sentence).
 */
function viterbi(model: PersonTaggerModel, emit: Float32Array, candidate: Uint8Array, n: number, outsideBias: number): Uint8Array {
  const tags = new Uint8Array(n);
  for (let i = 0; i < n; ) {
    if (candidate[i] === 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < n && candidate[j] === 1) j++;
    decodeRun(model, emit, i, j, j < n, outsideBias, tags);
    i = j;
  }
  return tags;
}

/** Tags of tokens [from, to): after the sentence start or an O token, and before an O token if `outsideAfter`. */
function decodeRun(model: PersonTaggerModel, emit: Float32Array, from: number, to: number, outsideAfter: boolean, outsideBias: number, tags: Uint8Array): void {
  const length = to - from;
  if (pathScratch.length < length * TAGS) {
    pathScratch = new Float32Array(Math.max(length * TAGS, 2 * pathScratch.length));
    backScratch = new Uint8Array(pathScratch.length);
  }
  const score = pathScratch;
  const back = backScratch;
  const t = model.transitions;
  const start = from === 0 ? 3 : O;
  for (let tag = 0; tag < TAGS; tag++) score[tag] = tag === I ? -Infinity : t[start * TAGS + tag]! + emit[from * TAGS + tag]! + (tag === O ? outsideBias : 0);
  for (let r = 1; r < length; r++) {
    const e = (from + r) * TAGS;
    for (let tag = 0; tag < TAGS; tag++) {
      let best = -Infinity;
      let previous = 0;
      for (let p = 0; p < TAGS; p++) {
        if (tag === I && p === O) continue;
        const value = score[(r - 1) * TAGS + p]! + t[p * TAGS + tag]!;
        if (value > best) {
          best = value;
          previous = p;
        }
      }
      score[r * TAGS + tag] = best + emit[e + tag]! + (tag === O ? outsideBias : 0);
      back[r * TAGS + tag] = previous;
    }
  }
  const end = (tag: number): number => score[(length - 1) * TAGS + tag]! + (outsideAfter ? t[tag * TAGS + O]! : 0);
  let last = 0;
  for (let tag = 1; tag < TAGS; tag++) if (end(tag) > end(last)) last = tag;
  for (let r = length - 1; r >= 0; r--) {
    tags[from + r] = last;
    last = back[r * TAGS + last]!;
  }
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
    const features = sentenceFeatures(sentence, context, model);
    const emit = emissions(model, features);
    const tags = viterbi(model, emit, features.candidate, sentence.length, outsideBias);
    const found = spansFromTags(sentence, tags, nameMargins(emit, tags));
    names.push(...found);
    // The lenient reading matters only for a rule finding the strict one left out.
    const from = sentence[0]!.word_position - 1;
    const to = sentence[sentence.length - 1]!.word_position - 1 + sentence[sentence.length - 1]!.surface_form.length;
    const questioned = context.ruleSpans.some(
      (rule) => rule.start < to && from < rule.end && rule.score >= 0.5 && rule.score < RULE_STANDS && !found.some((span) => span.start < rule.end && rule.start < span.end),
    );
    if (questioned) possible.push(...spansFromTags(sentence, viterbi(model, emit, features.candidate, sentence.length, lenientBias)));
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
function packWeights(weights: Float32Array | Int16Array, weightScale: number, gzip: (bytes: Uint8Array) => Uint8Array): { scale: number; packed: string } {
  let max = 0;
  for (const weight of weights) max = Math.max(max, Math.abs(weight * weightScale));
  const scale = max === 0 ? 1 : max / 32767;
  const quantized = new Int16Array(weights.length);
  for (let k = 0; k < quantized.length; k++) quantized[k] = Math.round((weights[k]! * weightScale) / scale);
  return { scale, packed: Buffer.from(gzip(new Uint8Array(quantized.buffer))).toString('base64') };
}

function unpackWeights(packed: string, length: number): Int16Array {
  const bytes = new Uint8Array(gunzipSync(Buffer.from(packed, 'base64'))); // own, aligned buffer
  const quantized = new Int16Array(bytes.buffer, 0, bytes.byteLength / 2);
  if (quantized.length !== length) throw new Error('person tagger model: weight table has the wrong size');
  return quantized;
}

export function encodeModel(
  model: PersonTaggerModel,
  meta: Pick<StoredPersonTaggerModel, 'outsideBias' | 'lenientBias' | 'trainedOn' | 'source' | 'licence'>,
  gzip: (bytes: Uint8Array) => Uint8Array,
): StoredPersonTaggerModel {
  const weights = packWeights(model.weights, model.weightScale, gzip);
  const shape = packWeights(model.shapeWeights, 1, gzip);
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
    weights: unpackWeights(stored.weights, (1 << stored.bits) * TAGS),
    weightScale: stored.scale,
    transitions: Float32Array.from(stored.transitions),
    shapeBits: stored.shapeBits,
    shapeWeights: Float32Array.from(unpackWeights(stored.shapeWeights, 1 << stored.shapeBits), (value) => value * stored.shapeScale),
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
