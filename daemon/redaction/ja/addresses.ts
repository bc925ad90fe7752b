// JP_ADDRESS by address grammar, anchored on the gazetteer:
//   [都道府県] 市区町村 [町域 (大字…, kuromoji 地域 tokens)] [丁目/番地/番/号 or 1-2-3] [building [room]]
// The anchor is a known prefecture or municipality (municipalities.ts, 1,895 entries), so a
// kanji run is only read as an address when it starts like one. How much follows sets the
// score: a prefecture+city alone ("東京都渋谷区で開催") is a place, not someone's address, and
// stays under the default threshold; a town with a block number is an address.
import type { Span } from '../types.js';
import type { JapaneseToken } from './kuromoji-tokenizer.js';
import { MUNICIPALITIES } from './municipalities.js';
import { PREFECTURES } from './prefectures.js';
import { normalizeWidth } from './normalize-width.js';

interface Lexicon {
  /** Municipality surface forms by first character, longest first. */
  readonly byFirstChar: Map<string, string[]>;
  readonly prefectures: readonly string[];
}

let lexicon: Lexicon | undefined;

function addForm(map: Map<string, string[]>, form: string): void {
  const first = form[0];
  if (first === undefined) return;
  const list = map.get(first) ?? [];
  if (!list.includes(form)) list.push(form);
  map.set(first, list);
}

/** Built on first use: every municipality, plus the forms people write (no 郡, 政令市 alone). */
function getLexicon(): Lexicon {
  if (lexicon !== undefined) return lexicon;
  const byFirstChar = new Map<string, string[]>();
  for (const cities of Object.values(MUNICIPALITIES)) {
    for (const city of cities.split('|')) {
      addForm(byFirstChar, city);
      // 鎌ケ谷市 / 鎌ヶ谷市: both spellings are in use.
      if (/[ケヶ]/.test(city)) addForm(byFirstChar, city.includes('ケ') ? city.replace('ケ', 'ヶ') : city.replace('ヶ', 'ケ'));
      // 西多摩郡瑞穂町 → 瑞穂町; a 郡 inside a city's own name stays (蒲郡市, 小郡市).
      const withoutDistrict = city.replace(/^.+?郡(?=.+[町村]$)/, '');
      if (withoutDistrict !== city) addForm(byFirstChar, withoutDistrict);
      const designated = /^(.+?市).+区$/.exec(city);
      if (designated?.[1] !== undefined) addForm(byFirstChar, designated[1]);
    }
  }
  for (const list of byFirstChar.values()) list.sort((a, b) => b.length - a.length);
  lexicon = { byFirstChar, prefectures: PREFECTURES };
  return lexicon;
}

function matchPrefecture(text: string, at: number): string | undefined {
  return getLexicon().prefectures.find((pref) => text.startsWith(pref, at));
}

function matchMunicipality(text: string, at: number): string | undefined {
  const candidates = getLexicon().byFirstChar.get(text[at] ?? '');
  return candidates?.find((city) => text.startsWith(city, at));
}

// Town names: kanji, kana, and the small words inside them (ケ/ヶ/が/の/之/ノ), up to 14 chars.
const TOWN_CHAR = /[\p{Script=Han}\p{Script=Katakana}\p{Script=Hiragana}々〆ヶーｰ]/u;
const KANJI_NUMBER = '〇一二三四五六七八九十百千';
// Block numbers, on the width-normalised text: 1丁目18-1, 8番21号, 3番地の2, 2242, 二丁目5-3,
// 堺's 2丁3-10; 四番町 is a town name, not a number.
const BLOCK = new RegExp(
  `^(?:大字|字)?(?:(?:[0-9]+|[${KANJI_NUMBER}]+(?=丁目|番(?!町)|号|地割))(?:丁目|丁(?=[0-9])|番地の?|番(?!町)|号|地割|-(?=[0-9])|の(?=[0-9]))?)+`,
);
// Building names end in one of these words (第一ビル, サンハイツ) or start with one (コーポ田中,
// メゾン青山); a room or floor may follow, or stand alone (５階, 302号室).
const NAME_CHARS = "[\\p{Script=Katakana}\\p{Script=Han}\\p{Script=Hiragana}A-Za-zＡ-Ｚａ-ｚ0-9０-９・ー&＆'’\\-]";
const BUILDING_WORD = 'ビルディング|ビル|マンション|ハイツ|コーポ|レジデンス|タワー|アパート|荘|館|棟|ハウス|ヒルズ|パレス|プラザ|コート|メゾン|テラス|ヴィラ|ガーデン|スクエア|センター|寮';
const ROOM = '(?:[0-9０-９]+(?:号室|階|Ｆ|F)|[0-9０-９]+号?|[A-ZＡ-Ｚ][0-9０-９]+)';
const PREFIX_BUILDING = `(?:コーポ|メゾン|ハイツ|パレス|ヴィラ|グラン|シャトー|レジデンス|ライオンズ|ドミール)${NAME_CHARS}{1,12}?(?=[ \\u3000]?${ROOM}|[^\\p{Script=Han}\\p{Script=Katakana}]|$)`;
// サンハイツ高槻３０２号室: a place name may follow the building word when a room follows it.
const SUFFIX_BUILDING = `${NAME_CHARS}{0,24}?(?:${BUILDING_WORD})(?:[\\p{Script=Han}\\p{Script=Katakana}]{1,6}(?=[ \\u3000]?${ROOM}))?`;
const BUILDING = new RegExp(
  `^[ \\u3000]?(?:(?:${PREFIX_BUILDING}|${SUFFIX_BUILDING})(?:[ \\u3000]?${ROOM})?|${ROOM}(?![0-9０-９]))`,
  'u',
);

// A town never ends in a particle (渋谷区で3人); kana inside it is fine (つつじが丘, 勝どき).
const HIRAGANA_END = /(?:で|に|は|が|を|の|と|へ|も|や|から|まで|より)$/;
// ...nor holds a phrase (清水にある北海道道67号 is a road after a town, not one town).
const PHRASE_IN_TOWN = /にある|にて|である|する|した|して|から|まで|および|など|ため|による/;
// A building never starts with a particle (…2082-5にあるモザイクタイルの博物館).
const PARTICLE_START = /^[ \u3000]?(?:に|で|の|は|が|を|と|へ|も|や|から|まで)/;
const COUNTER = /[人年月日回件円個名歳時分秒度位%万億千百台本枚階戸棟km]/;

function townEndWithBlock(text: string, view: string, from: number): { townEnd: number; blockEnd: number } | undefined {
  // The town is every town character up to a block number no more than 14 characters on.
  let end = from;
  while (end - from <= 14) {
    const block = BLOCK.exec(view.slice(end, end + 40));
    const town = text.slice(from, end);
    if (PHRASE_IN_TOWN.test(town)) return undefined;
    if (block !== null && block[0].length > 0 && !HIRAGANA_END.test(town)) {
      const blockEnd = trimBlock(view, end, end + block[0].length);
      // 3人, 1859年, 5度: a count or a date after a place name, not a block number.
      if (blockEnd > end && !COUNTER.test(view[blockEnd] ?? '')) return { townEnd: end, blockEnd };
    }
    if (end >= text.length || !TOWN_CHAR.test(text[end] ?? '')) return undefined;
    end++;
  }
  return undefined;
}

function trimBlock(view: string, start: number, end: number): number {
  let stop = end;
  while (stop > start && /[-の]/.test(view[stop - 1] ?? '')) stop--;
  return stop;
}

function townEndByTokens(tokensByStart: Map<number, JapaneseToken>, from: number): number {
  let end = from;
  for (;;) {
    const token = tokensByStart.get(end);
    if (token === undefined) return end;
    const region = token.pos_detail_2 === '地域' || (token.pos_detail_1 === '接尾' && token.pos_detail_2 === '地域');
    if (!region) return end;
    end += token.surface_form.length;
  }
}

/** Address spans in `text`; `tokens` are kuromoji's tokens of the same text. */
export function findAddresses(text: string, tokens: readonly JapaneseToken[]): Span[] {
  const spans: Span[] = [];
  const view = normalizeWidth(text);
  let tokensByStart: Map<number, JapaneseToken> | undefined;
  let at = 0;
  while (at < text.length) {
    // The lexicon is matched on the normalised view (塚 written as U+FA10 is still 宝塚市).
    const prefecture = matchPrefecture(view, at);
    const cityAt = at + (prefecture?.length ?? 0);
    const city = matchMunicipality(view, cityAt);
    if (city === undefined) {
      at++;
      continue;
    }
    let end = cityAt + city.length;
    let score: number;
    const withBlock = townEndWithBlock(text, view, end);
    if (withBlock !== undefined) {
      end = withBlock.blockEnd;
      score = prefecture !== undefined ? 0.95 : 0.85;
      const rest = text.slice(end, end + 40);
      const building = PARTICLE_START.test(rest) ? null : BUILDING.exec(rest);
      if (building !== null) end += building[0].length;
    } else {
      tokensByStart ??= new Map(tokens.map((token) => [token.word_position - 1, token]));
      const townEnd = townEndByTokens(tokensByStart, end);
      const hasTown = townEnd > end;
      end = townEnd;
      score = prefecture !== undefined ? (hasTown ? 0.75 : 0.45) : hasTown ? 0.45 : 0;
    }
    if (score > 0) spans.push({ type: 'JP_ADDRESS', start: at, end, score, detector: 'jp-address' });
    at = Math.max(end, at + 1);
  }
  return spans;
}
