import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeJapaneseText } from '../../../../daemon/redaction/ja/analyze-text.js';
import { loadTokenizer, tokenizeText, type JapaneseTokenizer } from '../../../../daemon/redaction/ja/kuromoji-tokenizer.js';
import stored from '../../../../daemon/redaction/ja/person-tagger-model.json' with { type: 'json' };
import {
  TAGS,
  combineNameSpans,
  decodeModel,
  decodeTags,
  encodeModel,
  extractFeatures,
  type PersonTaggerModel,
  type StoredPersonTaggerModel,
} from '../../../../daemon/redaction/ja/person-tagger.js';
import type { Span } from '../../../../daemon/redaction/types.js';

let tokenizer: JapaneseTokenizer;
beforeAll(async () => {
  tokenizer = await loadTokenizer();
});

const name = (start: number, end: number, score: number, detector = 'jp-person-name'): Span => ({ type: 'JP_NAME', start, end, score, detector });

/** A model with pseudo-random weights (fixed seed): decoding must be well-formed whatever they are. */
function randomModel(seed: number): PersonTaggerModel {
  let state = seed;
  const next = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state / 2 ** 32) * 20 - 10;
  };
  const bits = 10;
  return {
    bits,
    weights: Float32Array.from({ length: (1 << bits) * TAGS }, next),
    weightScale: 1,
    transitions: Float32Array.from({ length: 4 * TAGS }, next),
    shapeBits: 8,
    shapeWeights: Float32Array.from({ length: 1 << 8 }, next),
  };
}

describe('person tagger: decoding', () => {
  it('never tags a token inside a name right after one outside (no I after O), whatever the weights', () => {
    const tokens = tokenizeText(tokenizer, 'ロレンス・ボゴラッドは昨日、山田太郎とマイケル・ジャクソンに会ったと語った。');
    for (let seed = 1; seed <= 50; seed++) {
      const model = randomModel(seed);
      const features = extractFeatures(tokens, { ruleSpans: [], lookUpWord: () => 'unknown' }, model);
      for (const bias of [-20, 0, 20]) {
        const tags = decodeTags(model, features, bias);
        expect(tags).toHaveLength(tokens.length);
        tags.forEach((tag, i) => expect(tag === 2 && (i === 0 || tags[i - 1] === 0), `seed ${seed} token ${i}`).toBe(false));
      }
    }
  });

  it('raising the outside bias never finds more name tokens', () => {
    const tokens = tokenizeText(tokenizer, 'オストロムはゼルテンなどの理論研究者とともに研究を行った。');
    const model = decodeModel(stored as StoredPersonTaggerModel);
    const features = extractFeatures(tokens, { ruleSpans: [], lookUpWord: () => 'unknown' }, model);
    const named = (bias: number): number => decodeTags(model, features, bias).filter((tag) => tag !== 0).length;
    expect(named(-30)).toBeGreaterThanOrEqual(named(0));
    expect(named(0)).toBeGreaterThanOrEqual(named(30));
    expect(named(1000)).toBe(0);
  });
});

describe('person tagger: model file', () => {
  it('round-trips weights through the stored form (int16, gzip, base64) within quantisation error', () => {
    const model = randomModel(7);
    const back = decodeModel(encodeModel(model, { outsideBias: 1, lenientBias: 0, trainedOn: 'test', source: 'test', licence: 'test' }, (bytes) => gzipSync(bytes)));
    const step = 10 / 32767;
    model.weights.forEach((weight, k) => expect(Math.abs(back.weights[k]! * back.weightScale - weight)).toBeLessThanOrEqual(step));
    model.shapeWeights.forEach((weight, k) => expect(Math.abs(back.shapeWeights[k]! - weight)).toBeLessThanOrEqual(step));
    expect([...back.transitions]).toEqual([...model.transitions].map((value) => expect.closeTo(value, 3)));
  });

  it('rejects a file of another format or a truncated weight table', () => {
    expect(() => decodeModel({ ...(stored as StoredPersonTaggerModel), format: 'other' as 'kagami-person-tagger/1' })).toThrow(/format/);
    expect(() => decodeModel({ ...(stored as StoredPersonTaggerModel), bits: 17 })).toThrow(/wrong size/);
  });

  it('names its training data and licence', () => {
    expect(stored.source).toMatch(/ner-wikipedia/);
    expect(stored.licence).toMatch(/CC BY-SA 3\.0/);
    expect(stored.trainedOn).toMatch(/ja-names\.jsonl/);
  });
});

describe('person tagger: combined with the rules', () => {
  it('keeps a sure rule finding the tagger missed, drops an unsure one under the threshold', () => {
    const combined = combineNameSpans([name(0, 2, 0.95), name(10, 12, 0.6)], { names: [], possible: [] });
    expect(combined).toEqual([name(0, 2, 0.95), name(10, 12, 0.45)]);
  });

  it('gives a tagger span the score of a surer rule span it overlaps', () => {
    const tagger = [name(0, 4, 0.7, 'jp-person-tagger')];
    const combined = combineNameSpans([name(0, 2, 0.95)], { names: tagger, possible: tagger });
    expect(combined).toEqual([name(0, 4, 0.95, 'jp-person-tagger')]);
  });

  it('keeps an unsure rule finding right next to a kept name (surname, space, given name)', () => {
    const tagger = [name(0, 2, 0.8, 'jp-person-tagger')];
    const combined = combineNameSpans([name(0, 2, 0.6), name(3, 5, 0.6), name(9, 11, 0.6)], { names: tagger, possible: tagger });
    expect(combined.map((span) => span.score)).toEqual([0.8, 0.6, 0.45]);
  });

  it('keeps an unsure rule finding the tagger would call a name when less strict', () => {
    const combined = combineNameSpans([name(10, 12, 0.6)], { names: [], possible: [name(10, 13, 0.55, 'jp-person-tagger')] });
    expect(combined).toEqual([name(10, 12, 0.6)]);
  });
});

describe('person tagger: the shipped model on sentences written here (none of them in the training data)', () => {
  /** Name strings at the default threshold. */
  const names = (text: string): string[] =>
    analyzeJapaneseText(tokenizer, text)
      .filter((span) => span.type === 'JP_NAME' && span.score >= 0.5)
      .map((span) => text.slice(span.start, span.end));

  it('finds a foreign name written as one katakana word with no honorific', () => {
    expect(names('昨日、ミハイロフスキーは新作の構想について語った。')).toEqual(['ミハイロフスキー']);
    expect(names('ブレナンはその後ロンドンに移り、作曲を続けた。')).toEqual(['ブレナン']);
  });

  it('finds full names, kanji and katakana', () => {
    expect(names('エリザベータ・ノヴィコヴァが金メダルを獲得した。')).toEqual(['エリザベータ・ノヴィコヴァ']);
    expect(names('山田太郎が来た。')).toEqual(['山田太郎']);
  });

  it('does not take companies, teams or places for people', () => {
    expect(names('トヨタ自動車は新型車を発表した。')).toEqual([]);
    expect(names('サンフランシスコ・ジャイアンツが優勝した。')).toEqual([]);
    expect(names('ヴェルサイユ宮殿を訪れた。')).toEqual([]);
    expect(names('ヤマダ電機で冷蔵庫を買った。')).toEqual([]);
  });

  it('still finds names by their context in requests at a high score (田中さん, 担当: 鈴木, と申します)', () => {
    for (const [text, expected] of [
      ['田中さんに明日の会議の資料を送ってください。', '田中'],
      ['担当: 鈴木', '鈴木'],
      ['加藤と申します。', '加藤'],
    ] as const) {
      const span = analyzeJapaneseText(tokenizer, text).find((found) => found.type === 'JP_NAME');
      expect(span && text.slice(span.start, span.end), text).toBe(expected);
      expect(span!.score, text).toBeGreaterThanOrEqual(0.85);
    }
  });
});
