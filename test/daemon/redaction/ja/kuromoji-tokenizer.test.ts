// The compact dictionary loader must be a pure memory saving, and its linear word search a pure
// time saving: the same tokens, features and offsets as kuromoji's own loader, on real Japanese
// text and on every character class.
import fs from 'node:fs';
import path from 'node:path';
import kuromoji from 'kuromoji';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  defaultDictionaryPath,
  loadTokenizer,
  tokenizeText,
  type JapaneseToken,
  type JapaneseTokenizer,
} from '../../../../daemon/redaction/ja/kuromoji-tokenizer.js';

const corpusFile = path.join(import.meta.dirname, '../../../eval/datasets/ja-names.jsonl');

function loadStock(): Promise<kuromoji.Tokenizer<JapaneseToken>> {
  return new Promise((resolve, reject) => {
    kuromoji.builder({ dicPath: defaultDictionaryPath() }).build((error, tokenizer) => (error ? reject(error) : resolve(tokenizer)));
  });
}

describe('loadTokenizer', () => {
  let compact: JapaneseTokenizer;
  let stock: kuromoji.Tokenizer<JapaneseToken>;
  beforeAll(async () => {
    compact = await loadTokenizer();
    stock = await loadStock();
  });

  it("tokenizes real sentences exactly as kuromoji's own loader does", () => {
    const texts = fs
      .readFileSync(corpusFile, 'utf8')
      .trim()
      .split('\n')
      .slice(0, 800)
      .map((line) => (JSON.parse(line) as { text: string }).text);
    expect(texts.length).toBe(800);
    for (const text of texts) expect(compact.tokenize(text)).toEqual(stock.tokenize(text));
  });

  it('handles unknown words of every character class the same way', () => {
    const text =
      'ｱｲｳｴｵﾊﾟｿｺﾝ ＡＢＣ１２３ abc 123 😀 한국어 Ελληνικά Кириллица ℡ ①②③ 〒１００－０００１ ヴァイオリン〜〜！？ 々〆 ボゴラッド氏';
    const tokens = compact.tokenize(text);
    expect(tokens.map((token) => token.surface_form).join('')).toBe(text);
    expect(tokens).toEqual(stock.tokenize(text));
  });

  it('tokenizes long text without punctuation in pieces, positions exact in the whole text', () => {
    // kuromoji alone is quadratic on such a run (20,000 characters: seconds); pieces keep it linear.
    const row = '氏名 山田太郎 住所 東京都渋谷区恵比寿１丁目１８－１ 電話 03-1234-5678 備考 😀\n';
    const table = row.repeat(400);
    const run = '山田太郎さんは東京都渋谷区恵比寿に住んでいる'.repeat(1000);
    for (const text of [table, run]) {
      const tokens = tokenizeText(compact, text);
      expect(tokens.map((token) => token.surface_form).join('')).toBe(text);
      for (const token of tokens) expect(text.startsWith(token.surface_form, token.word_position - 1)).toBe(true);
    }
    const names = tokenizeText(compact, run).filter((token) => token.surface_form === '山田' && token.pos_detail_3 === '姓');
    expect(names).toHaveLength(1000);
  });

  it('tokenizes text with a lone surrogate (a JSON "\\ud800" escape), on which kuromoji alone throws', () => {
    const text = '山田太郎さん\ud800、\udc00田中さん';
    expect(() => stock.tokenize(text)).toThrow();
    const tokens = compact.tokenize(text);
    expect(tokens.map((token) => token.surface_form).join('')).toBe(text);
    expect(tokens.map((token) => token.surface_form)).toContain('田中');
  });

  it('names the folder when the dictionary cannot be loaded', async () => {
    await expect(loadTokenizer('/nonexistent/kuromoji-dict')).rejects.toThrow(/kuromoji dictionary from \/nonexistent\/kuromoji-dict/);
  });
});
