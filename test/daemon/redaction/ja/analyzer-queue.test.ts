// The analyzer worker's run queue, driven step by step with the real kuromoji tokenizer: texts
// are analyzed a segment at a time, round-robin, and a long text's segmented analysis finds the
// same spans, at the same offsets, as analyzing it whole.
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeJapaneseText } from '../../../../daemon/redaction/ja/analyze-text.js';
import { createAnalyzerQueue, SEGMENT, segmentEnd } from '../../../../daemon/redaction/ja/analyzer-queue.js';
import type { WorkerResult } from '../../../../daemon/redaction/ja/analyzer-protocol.js';
import { loadTokenizer, type JapaneseTokenizer } from '../../../../daemon/redaction/ja/kuromoji-tokenizer.js';

const SENTENCES = [
  '担当の山田太郎さんに東京都渋谷区恵比寿１丁目１８－１へ書類を送ってもらってください。',
  '佐藤花子様から、大阪府大阪市北区梅田３丁目１番１号の件でご連絡がありました。',
  '会議は午後に移動しました。資料は共有フォルダにあります。',
  '鈴木一郎氏の経歴をまとめて、来週の打ち合わせで紹介します。',
];

/** A long text of the sentences above, cycled, joined by `separator`. */
function longText(length: number, separator: string): string {
  let text = '';
  for (let i = 0; text.length < length; i++) text += SENTENCES[i % SENTENCES.length] + separator;
  return text;
}

function spansOf(result: WorkerResult | undefined): unknown {
  if (result === undefined || 'error' in result) throw new Error(`expected spans, got ${JSON.stringify(result)}`);
  return result.spans;
}

describe('segmentEnd', () => {
  it('ends a segment at the last line break in its second half, else after a sentence end, else after a break', () => {
    const lines = `${'あ'.repeat(700)}\n${'い'.repeat(500)}。${'う'.repeat(2000)}`;
    expect(segmentEnd(lines, 0, 1024)).toBe(701);
    const sentences = `${'あ'.repeat(600)}。${'い'.repeat(300)}、${'う'.repeat(2000)}`;
    expect(segmentEnd(sentences, 0, 1024)).toBe(601);
    expect(segmentEnd(`${'あ'.repeat(900)}、${'う'.repeat(2000)}`, 0, 1024)).toBe(901);
  });

  it('cuts a run without any break at the limit, but never inside a surrogate pair', () => {
    expect(segmentEnd('あ'.repeat(3000), 0, 1024)).toBe(1024);
    const astral = `${'あ'.repeat(1023)}𠮷${'あ'.repeat(100)}`; // 𠮷 is two UTF-16 units at 1023-1024
    expect(segmentEnd(astral, 0, 1024)).toBe(1023);
    expect(segmentEnd('短い', 0, 1024)).toBe(2);
  });
});

describe('createAnalyzerQueue', () => {
  let tokenizer: JapaneseTokenizer;
  beforeAll(async () => {
    tokenizer = await loadTokenizer();
  });

  it('finishes a short text that arrives while a long one is in progress before the long one', () => {
    const queue = createAnalyzerQueue(tokenizer);
    const long = longText(SEGMENT * 5, '');
    queue.add(1, long);
    expect(queue.step()).toBeUndefined(); // first segment of the long text
    queue.add(2, '田中さん、お疲れさまです。');
    const finished: number[] = [];
    let steps = 1;
    while (queue.size > 0) {
      const result = queue.step();
      steps++;
      if (result !== undefined) finished.push(result.id);
      if (finished.length === 1) expect(queue.ids()).toEqual([1]); // the short one left, the long one still queued
    }
    expect(finished).toEqual([2, 1]);
    expect(steps).toBeGreaterThanOrEqual(6); // the long text took at least its 5 segments, one per step
  });

  it('gives every text one segment per round, in arrival order', () => {
    const queue = createAnalyzerQueue(tokenizer, 256);
    queue.add(1, longText(1000, '')); // about 4 segments
    queue.add(2, longText(500, '')); // about 2
    queue.add(3, '田中さん');
    const order: number[] = [];
    const finished: number[] = [];
    while (queue.size > 0) {
      order.push(queue.ids()[0]!);
      const result = queue.step();
      if (result !== undefined) finished.push(result.id);
    }
    expect(order.slice(0, 5)).toEqual([1, 2, 3, 1, 2]);
    expect(finished).toEqual([3, 2, 1]);
  });

  it('finds in segments the same spans at the same offsets as whole-text analysis', () => {
    for (const separator of ['\n', '']) {
      const text = longText(SEGMENT * 4 + 300, separator);
      const queue = createAnalyzerQueue(tokenizer);
      queue.add(7, text);
      let result: WorkerResult | undefined;
      while (queue.size > 0) result = queue.step();
      const spans = spansOf(result);
      expect(spans).toEqual(analyzeJapaneseText(tokenizer, text));
      expect((spans as unknown[]).length).toBeGreaterThan(40);
    }
  });

  it('analyzes a text of one segment in one step, as analyzeJapaneseText does', () => {
    const queue = createAnalyzerQueue(tokenizer);
    const text = SENTENCES[0]!;
    queue.add(1, text);
    expect(spansOf(queue.step())).toEqual(analyzeJapaneseText(tokenizer, text));
    expect(queue.size).toBe(0);
    expect(queue.step()).toBeUndefined();
  });
});
