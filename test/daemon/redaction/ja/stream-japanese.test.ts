// Inline redaction of a streamed Japanese answer with the real analyzer (kuromoji in its worker):
// a name, an address and full-width identifiers split across chunks at ANY boundary are still
// caught, and no raw value is ever released. The text is longer than the stream redactor's
// hold-back for an unbroken Japanese run, so the cuts exercise release-and-hold for real.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedactionEngine, type RedactionEngine } from '../../../../daemon/redaction/engine.js';
import { createJapaneseAnalyzer, type JapaneseAnalyzerHandle } from '../../../../daemon/redaction/ja/analyzer.js';
import { PseudonymTable } from '../../../../daemon/redaction/pseudonyms.js';
import { resolveRedactionSettings } from '../../../../daemon/redaction/settings.js';
import { StreamRedactor } from '../../../../daemon/redaction/stream-redactor.js';

const PREAMBLE = '本日はお問い合わせいただき誠にありがとうございます。担当者から改めてご連絡いたしますので、少々お待ちください。';
const CASES: [string, string, string, string][] = [
  ['JP_NAME', `${PREAMBLE}担当の山田太郎さんが伺います。`, '山田太郎', `${PREAMBLE}担当の[JP_NAME]さんが伺います。`],
  [
    'JP_ADDRESS',
    `${PREAMBLE}書類は東京都渋谷区恵比寿１丁目１８－１にお送りください。`,
    '東京都渋谷区恵比寿１丁目１８－１',
    `${PREAMBLE}書類は[JP_ADDRESS]にお送りください。`,
  ],
  ['JP_PHONE', `${PREAMBLE}お電話は０９０ー１２３４ー５６７８までどうぞ。`, '０９０ー１２３４ー５６７８', `${PREAMBLE}お電話は[JP_PHONE]までどうぞ。`],
  ['JP_MY_NUMBER', `${PREAMBLE}マイナンバーは１２３４－５６７８－９０１８です。`, '１２３４－５６７８－９０１８', `${PREAMBLE}マイナンバーは[JP_MY_NUMBER]です。`],
];

describe('StreamRedactor with the Japanese analyzer', () => {
  let analyzer: JapaneseAnalyzerHandle;
  let engine: RedactionEngine;
  beforeAll(async () => {
    analyzer = createJapaneseAnalyzer();
    await analyzer.warmup();
    engine = createRedactionEngine({ settings: resolveRedactionSettings(undefined), japanese: analyzer });
  });
  afterAll(async () => {
    await analyzer.close();
  });

  function redactor(): StreamRedactor {
    return new StreamRedactor({ engine, pseudonyms: new PseudonymTable(), responseActionFor: () => 'mask', scan: true });
  }

  async function streamed(pieces: readonly string[]): Promise<string[]> {
    const r = redactor();
    const out: string[] = [];
    for (const piece of pieces) out.push(await r.push(piece));
    out.push(await r.flush());
    return out;
  }

  it.each(CASES)('catches %s split at every possible chunk boundary', async (_type, text, value, expected) => {
    expect(text.length).toBeGreaterThan(60);
    expect(await redactor().redactAll(text)).toBe(expected);
    const cuts = Array.from({ length: text.length - 1 }, (_, i) => i + 1);
    const outputs = await Promise.all(cuts.map((cut) => streamed([text.slice(0, cut), text.slice(cut)])));
    outputs.forEach((out, i) => {
      expect(out.join(''), `cut at ${cuts[i]}`).toBe(expected);
      // Nothing released at any step carries the value or its first half.
      for (const piece of out) expect(piece).not.toContain(value.slice(0, Math.ceil(value.length / 2)));
    });
  });

  it.each(CASES)('catches %s streamed one character per chunk', async (_type, text, _value, expected) => {
    expect((await streamed([...text])).join('')).toBe(expected);
  });

  it('releases the preamble before the stream ends: only the tail of the Japanese run is held', async () => {
    const r = redactor();
    const released = await r.push(`${PREAMBLE}${PREAMBLE}`);
    expect(released.length).toBeGreaterThan(0);
    expect(`${PREAMBLE}${PREAMBLE}`.startsWith(released)).toBe(true);
    expect(released + (await r.flush())).toBe(`${PREAMBLE}${PREAMBLE}`);
  });
});
