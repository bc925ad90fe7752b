import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeJapaneseText } from '../../../../daemon/redaction/ja/analyze-text.js';
import { loadTokenizer, type JapaneseTokenizer } from '../../../../daemon/redaction/ja/kuromoji-tokenizer.js';

let tokenizer: JapaneseTokenizer;
beforeAll(async () => {
  tokenizer = await loadTokenizer();
});

/** [type, value] pairs at the default threshold, values cut from the text by offset. */
function found(text: string): [string, string][] {
  return analyzeJapaneseText(tokenizer, text)
    .filter((span) => span.score >= 0.5)
    .map((span) => [span.type, text.slice(span.start, span.end)]);
}

describe('person names', () => {
  it('merges surname and given name and takes an honorific as context', () => {
    expect(found('山田太郎さんから連絡がありました。')).toEqual([['JP_NAME', '山田太郎']]);
    const [withHonorific] = analyzeJapaneseText(tokenizer, '佐藤花子様');
    const [bare] = analyzeJapaneseText(tokenizer, '佐藤花子が来た');
    expect(withHonorific!.score).toBeGreaterThan(bare!.score);
  });

  it('joins foreign names across ・', () => {
    expect(found('ジョン・F・ケネディ大統領が演説した。')).toEqual([['JP_NAME', 'ジョン・F・ケネディ']]);
    expect(found('マイケル・ジャクソンは歌手である。')).toEqual([['JP_NAME', 'マイケル・ジャクソン']]);
  });

  it('reads a word the dictionary does not know as a name before an honorific or title', () => {
    expect(found('ボゴラッド氏は記者会見で語った。')).toEqual([['JP_NAME', 'ボゴラッド']]);
  });

  it('finds several names in a real sentence', () => {
    // ner-wikipedia-ja style: historical figures, one with a role word between them.
    expect(found('織田信長の家臣、豊臣秀吉は関白となった。')).toEqual([
      ['JP_NAME', '織田信長'],
      ['JP_NAME', '豊臣秀吉'],
    ]);
  });

  it('does not report a name that is part of an organisation or a word', () => {
    expect(found('田中工業の佐藤花子様')).toEqual([['JP_NAME', '佐藤花子']]);
    expect(found('マイナンバーカードを申請した。')).toEqual([]);
    expect(found('株式会社山田は本社を移転した。').filter(([type]) => type === 'JP_NAME')).toEqual([]);
  });
});

describe('addresses', () => {
  it('finds a full address with full-width digits and dashes, offsets exact', () => {
    const text = '山田太郎さんは東京都渋谷区恵比寿１丁目１８－１に住んでいる。';
    expect(found(text)).toEqual([
      ['JP_NAME', '山田太郎'],
      ['JP_ADDRESS', '東京都渋谷区恵比寿１丁目１８－１'],
    ]);
  });

  it('includes the building and room', () => {
    expect(found('お届け先：大阪府高槻市八丁西町８番２１号 サンハイツ高槻３０２号室')).toEqual([
      ['JP_ADDRESS', '大阪府高槻市八丁西町８番２１号 サンハイツ高槻３０２号室'],
    ]);
    expect(found('住所：東京都江東区有明１丁目３－１ コーポ田中302号室')).toEqual([
      ['JP_ADDRESS', '東京都江東区有明１丁目３－１ コーポ田中302号室'],
    ]);
  });

  it('finds addresses without the prefecture, with 大字, 番地 and kanji 丁目', () => {
    expect(found('横浜市都筑区中川中央1-19-19に移転')).toEqual([['JP_ADDRESS', '横浜市都筑区中川中央1-19-19']]);
    expect(found('埼玉県戸田市大字新曽２２４２')).toEqual([['JP_ADDRESS', '埼玉県戸田市大字新曽２２４２']]);
    expect(found('京都府京都市中京区二条通三丁目')).toEqual([['JP_ADDRESS', '京都府京都市中京区二条通三丁目']]);
    expect(found('東京都千代田区四番町１番８')).toEqual([['JP_ADDRESS', '東京都千代田区四番町１番８']]);
  });

  it('reads compatibility kanji (塚 U+FA10) as the municipality they spell', () => {
    expect(found('兵庫県宝\uFA10市東洋町1番1号')).toEqual([['JP_ADDRESS', '兵庫県宝\uFA10市東洋町1番1号']]);
  });

  it('leaves place mentions, counts and dates after a place name alone', () => {
    expect(found('東京都渋谷区で開催されたイベント')).toEqual([]);
    expect(found('東京都渋谷区で3人が負傷した。')).toEqual([]);
    expect(found('神奈川県横浜市は1859年に開港した。')).toEqual([]);
  });
});
