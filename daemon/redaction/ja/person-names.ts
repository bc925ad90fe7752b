// JP_NAME from kuromoji tokens. IPADIC tags known surnames and given names
// (名詞,固有名詞,人名,姓/名/一般); adjacent ones merge into one full name (山田 + 太郎), joined
// across ・/＝ for foreign names (ジョン・F・ケネディ), and unknown katakana next to a name part
// joins it (ロレンス・ボゴラッド where only one half is in the dictionary).
// Context moves the score, Presidio-style: an honorific (さん/様/氏/君/ちゃん/殿) or a title
// (先生, 監督, 社長…) after the name raises it, and even makes a noun IPADIC does not know a name
// (ボゴラッド氏); a name part glued to an organisation or place word (田中工業, 本田技研,
// 豊田市) is part of that proper noun, not a person, and is dropped. A surname followed by one to
// three single kanji IPADIC splits apart (岡部+冬+彦, 金子+達+仁) is read as a full name when the
// phrase ends there; a full name is kept before a plain noun (手塚治虫原作, 河野太郎外務大臣).
// The context words and what they mean live in person-context.ts.
import type { Span } from '../types.js';
import type { JapaneseToken } from './kuromoji-tokenizer.js';
import {
  CREDITS,
  PERSON_FOLLOWERS,
  ROLES_BEFORE,
  endsQuotedTitle,
  isHonorific,
  isTitle,
  labelledBefore,
  regnalNumberAt,
  roleBefore,
  saidOfAPerson,
  transferDestination,
} from './person-context.js';

// Single kanji that end a place, organisation or family name rather than a given name.
const NOT_GIVEN_NAME_CHAR = /^[家派流組賞杯駅線町村市区郡県都府道寺城橋川山島湾港法社店局署園館院宮殿氏党軍朝国州門堂跡祭塔碑墓廟陵邸屋亭荘舎座劇展号丸塾]$/;
const SINGLE_KANJI = /^\p{Script=Han}$/u;
// ・ joins the parts of a foreign name written in katakana; between kanji names it lists people.
const HAN = /\p{Script=Han}/u;

// Words that turn a preceding name part into an organisation, place, work or product name.
const COMPOUND_HEADS =
  /^(?:工業|技研|工務店|製作所|製薬|商店|商会|商事|物産|産業|建設|電機|電気|自動車|銀行|証券|保険|株式会社|有限会社|ホールディングス|グループ|財閥|組|家|派|流|学派|賞|杯|記念|駅|線|町|村|市|区|郡|県|寺|神社|城|橋|川|山|島|湾|港|通り|大学|高校|中学|小学校|学園|病院|文庫|書店|出版|新聞|放送|劇場|美術館|博物館|研究所|研究室|事務所|ゼミ|塾|道場|教室|ジム|財団|協会|委員会|時代|政権|内閣|体制|事件|の乱|の変|条約|法|賞受賞|モデル|ブランド)/;
const ORG_BEFORE = /^(?:株式会社|有限会社|合同会社|学校法人|医療法人)$/;
const KATAKANA = /^[\u30a0-\u30ff\uff66-\uff9f]+$/;
const KATAKANA_JOINED = /^[\u30a1-\u30fa\u30fc・＝=]+[・＝=][\u30a1-\u30fa\u30fc・＝=]+$/;
const NAME_JOINERS = new Set(['・', '＝', '=', '·', '･']);

function isNamePart(token: JapaneseToken): boolean {
  return (
    token.pos === '名詞' &&
    token.pos_detail_1 === '固有名詞' &&
    token.pos_detail_2 === '人名' &&
    !/[0-9０-９]/.test(token.surface_form) // IPADIC lists ００７ as a name
  );
}

/**
 * A common noun glued to the name makes one compound word (マイ+ナンバー, 野村+ビル, 児玉+飛行場):
 * the "name" is part of a thing's name. Titles and honorifics are not compounds.
 */
function isCompoundHead(token: JapaneseToken | undefined): boolean {
  if (token === undefined || token.pos !== '名詞' || isTitle(token) || isHonorific(token)) return false;
  if (COMPOUND_HEADS.test(token.surface_form)) return true;
  return token.pos_detail_1 === '一般' || token.pos_detail_1 === 'サ変接続' || (token.pos_detail_1 === '接尾' && token.pos_detail_2 !== '人名');
}

function isKatakanaWord(token: JapaneseToken | undefined): boolean {
  return token !== undefined && token.pos === '名詞' && KATAKANA.test(token.surface_form) && token.surface_form !== '・';
}

/** A noun IPADIC does not know (or knows only as a proper noun): may be a name given context. */
function isUnknownProperNoun(token: JapaneseToken | undefined): boolean {
  if (token === undefined || token.pos !== '名詞') return false;
  if (token.pos_detail_1 === '固有名詞') return token.pos_detail_2 === '人名' || token.pos_detail_2 === '一般';
  return token.word_type === 'UNKNOWN' && token.pos_detail_1 !== '数' && !/^[\s\p{P}\p{S}]+$/u.test(token.surface_form);
}

const GIVEN_NAME_SHAPE = /^[\p{Script=Han}\p{Script=Hiragana}]{1,3}$/u;

/** A short kanji/hiragana noun that ends the phrase (a particle, punctuation, honorific, title follows). */
function isGivenNameCandidate(token: JapaneseToken, following: JapaneseToken | undefined): boolean {
  if (token.pos !== '名詞' || token.pos_detail_1 === '接尾' || isHonorific(token)) return false;
  if (!GIVEN_NAME_SHAPE.test(token.surface_form)) return false;
  // A known common noun (鉄鋼, 飛行場) after a surname is a company or place; an unknown word is not.
  if (token.word_type !== 'UNKNOWN' && !/^\p{Script=Hiragana}+$/u.test(token.surface_form)) return false;
  if (following === undefined) return true;
  return following.pos === '助詞' || following.pos === '記号' || isHonorific(following) || isTitle(following);
}

/**
 * 廣野+翔太, 宮國+椋丞: a given name right after a one- or two-kanji noun that starts the phrase
 * (nothing but punctuation or a particle before it): that noun is a surname IPADIC does not list.
 */
function unlistedSurnameBefore(tokens: readonly JapaneseToken[], index: number): boolean {
  const previous = tokens[index - 1];
  if (previous === undefined || previous.pos !== '名詞' || !/^\p{Script=Han}{1,2}$/u.test(previous.surface_form)) return false;
  if (previous.pos_detail_1 !== '一般' && previous.pos_detail_1 !== '固有名詞') return false;
  if (isTitle(previous) || isHonorific(previous) || ROLES_BEFORE.has(previous.surface_form)) return false;
  const beforeThat = tokens[index - 2];
  return beforeThat === undefined || beforeThat.pos === '記号' || beforeThat.pos === '助詞';
}

/**
 * The nouns right after a full name end in an organisation or place word (松下幸之助記念館,
 * 前川國男+建築+設計+事務所): the name is part of that proper noun. 手塚治虫+原作 is not.
 */
function endsInCompoundHead(tokens: readonly JapaneseToken[], from: number): boolean {
  for (let k = from; k < from + 4; k++) {
    const token = tokens[k];
    if (token === undefined || token.pos !== '名詞' || isTitle(token) || isHonorific(token)) return false;
    if (COMPOUND_HEADS.test(token.surface_form)) return true;
  }
  return false;
}

function startOf(token: JapaneseToken): number {
  return token.word_position - 1;
}

/** How the dictionary reads a word on its own: a person name, another known word, or unknown. */
export type WordKind = 'name' | 'place' | 'word' | 'unknown';

/** Nothing more of a name follows: a particle, punctuation, the end, an honorific or a title. */
function endsPhrase(token: JapaneseToken | undefined): boolean {
  if (token === undefined) return true;
  if (token.pos === '助詞' || token.pos === '記号' || token.pos === '助動詞' || token.pos === '接続詞') return true;
  return isHonorific(token) || isTitle(token) || PERSON_FOLLOWERS.has(token.surface_form) || CREDITS.has(token.surface_form);
}

/** A single kanji IPADIC split off a given name it does not list (冬 in 冬彦, 仁 in 達仁). */
function isGivenNameKanji(token: JapaneseToken): boolean {
  if (token.pos !== '名詞' || !SINGLE_KANJI.test(token.surface_form) || NOT_GIVEN_NAME_CHAR.test(token.surface_form)) return false;
  if (isHonorific(token) || isTitle(token) || PERSON_FOLLOWERS.has(token.surface_form)) return false;
  return token.pos_detail_1 !== '接尾' || token.pos_detail_2 === '一般';
}

/** How many single given-name kanji (up to 3) start at `from` and end the phrase; 0 if they do not. */
function kanjiGivenNameLength(tokens: readonly JapaneseToken[], from: number): number {
  let k = from;
  while (k - from < 3 && tokens[k] !== undefined && isGivenNameKanji(tokens[k]!) && !PLACE_PART_CHAR.test(tokens[k]!.surface_form)) k++;
  return endsPhrase(tokens[k]) ? k - from : 0;
}
// After a place name these make a place or an institution (千葉大, 奈良北, 長野産), not a given name.
const PLACE_PART_CHAR = /^[大小側内外中北南東西産製発着行版支部課系型式線方面口前後上下本新旧第]$/;

// Words that end the name of an organisation, team, label or venue written in katakana
// (トムス・エンタテインメント, ワーナー・ブラザース, マンチェスター・シティ): not a person.
const KATAKANA_ORG_TAIL =
  /(?:グループ|ホールディングス|エン[タター]テ[イー]?ン?メント|コーポレーション|カンパニー|インターナショナル|ブラザー[ズス]|アソシエ[イー]ツ|コミッティー?|クラブ|ユナイテッド|スポーツ|カルチャー|プロダクションズ?|スタジオズ?|レコー[ドズ]|システムズ|テクノロジーズ|ジャパン|サーキット|ホテル|センター|アカデミー|リーグ|プラネット|シティ|パーク|スタジアム|アリーナ|ストア|ショップ|マート|フーズ|モーターズ|エアラインズ|エアウェイズ|ファクトリー|ワークス|ネットワーク|コミュニケーションズ)$/;

// Closed-class words of transcribed names, not evidence either way: nobiliary and patronymic
// particles (ヴェルナー・フォン・ブラウン, シャルル・ド・ゴール) and generational suffixes (…・ジュニア).
const NAME_PARTICLES = new Set(['フォン', 'ファン', 'ヴァン', 'バン', 'デ', 'ド', 'ダ', 'ディ', 'デル', 'デラ', 'ドゥ', 'ラ', 'ル', 'レ', 'ジュニア', 'シニア', 'ビン', 'イブン', 'ベン', 'マク', 'オ']);
// Forms of address written before a name (ミスター・ハードウィック): a person. (ミス・, マダム・ and
// ドクター・ also start pageants, museums and series: ミス・ユニバース.)
const FORM_OF_ADDRESS = new Set(['ミスター', 'ミセス', 'ミズ', 'サー', 'ムッシュ', 'ムッシュー', 'セニョール', 'セニョーラ']);

/**
 * ロッキー・ロメロ, ヤス・マリーナ・サーキット: a foreign name in katakana, its parts joined by
 * ・/＝ (kuromoji often reads it as one unknown word), scored by how the dictionary reads each
 * part alone. Unknown parts and listed names make a person; an organisation word at the end
 * makes a thing. An ordinary word is weak evidence in a two-part name, since many foreign given
 * names and surnames are also words (ビリー・グリーン, ロッド・スチュワート), but an ordinary word in
 * a longer one makes it a title or a company (ジョージ・ピーボディ・アンド・カンパニー).
 */
function scoreKatakanaCompound(word: string, lookUpWord: (word: string) => WordKind): number {
  const all = word.split(/[・＝=]/);
  if (all.some((part) => KATAKANA_ORG_TAIL.test(part))) return 0.3;
  if (all.length > 1 && FORM_OF_ADDRESS.has(all[0]!)) return 0.8; // ミスター・ハードウィック
  const parts = all.filter((part) => part.length > 1 && !NAME_PARTICLES.has(part));
  const kinds = parts.map(lookUpWord);
  if (kinds[0] === 'place') return 0.3; // ニューヨーク・ニックス: a team or a company of a place
  if (!kinds.includes('word') && !kinds.includes('place')) return kinds.includes('name') ? 0.8 : 0.6;
  if (kinds.length === 2 && kinds[0] === 'name') return 0.75; // ビリー・グリーン: a given name first
  return kinds.includes('name') ? 0.45 : 0.3;
}

/**
 * Person-name spans over the tokens of a text (offsets into that text). `lookUpWord` says how
 * the dictionary reads a word alone (kuromoji reads ロッキー・ロメロ as one unknown word, so its
 * parts are looked up separately).
 */
export function findPersonNames(
  tokens: readonly JapaneseToken[],
  lookUpWord: (word: string) => WordKind = () => 'unknown',
): Span[] {
  const spans: Span[] = [];
  let i = 0;
  while (i < tokens.length) {
    const firstIndex = i;
    const first = tokens[i];
    if (first === undefined) break;
    // 矢守克也: a surname IPADIC lists as a place, right before a given name.
    // 奈良+竜+樹に, 長崎+啓+二の: or before two or three single kanji that end the phrase.
    const placeWord = first.pos_detail_1 === '固有名詞' && first.pos_detail_2 === '地域' && first.pos_detail_3 !== '国' && /^\p{Script=Han}{2,3}$/u.test(first.surface_form);
    const placeSurname =
      placeWord && tokens[i + 1] !== undefined && ((isNamePart(tokens[i + 1]!) && tokens[i + 1]!.pos_detail_3 === '名') || kanjiGivenNameLength(tokens, i + 1) >= 2);
    const startsName = isNamePart(first) || placeSurname;
    // (a role before a title is not a name: GKコーチ)
    const honorificNext = isUnknownProperNoun(first) && !ROLES_BEFORE.has(first.surface_form) && (isHonorific(tokens[i + 1]) || isTitle(tokens[i + 1]));
    // A joiner inside the word (アンドロイド・ ends one: no compound).
    const katakanaCompound = isKatakanaWord(first) && /[^・＝=][・＝=][^・＝=]/.test(first.surface_form);
    // (kuromoji marks known words UNKNOWN inside a katakana run, so the word is looked up alone)
    const rolePrefixed =
      isKatakanaWord(first) && roleBefore(tokens, i) && !isTitle(first) && !ROLES_BEFORE.has(first.surface_form) && !['word', 'place'].includes(lookUpWord(first.surface_form));
    const personContext =
      !startsName && !katakanaCompound && !rolePrefixed && isKatakanaWord(first) && first.word_type === 'UNKNOWN' && saidOfAPerson(tokens, i + 1) && lookUpWord(first.surface_form) === 'unknown';
    const regnalNext = isKatakanaWord(first) && first.word_type === 'UNKNOWN' && regnalNumberAt(tokens, i + 1);
    if (!startsName && !honorificNext && !katakanaCompound && !rolePrefixed && !personContext && !regnalNext) {
      i++;
      continue;
    }
    // Extend over name parts, unknown katakana next to them, and joiners between them.
    let j = i + 1;
    let parts = startsName ? 1 : 0;
    let hasGiven = first.pos_detail_3 === '名';
    let hasFamily = first.pos_detail_3 === '姓' || placeSurname;
    let givenChars = 0;
    let joinedWord = false;
    let givenGuessed = false; // the given name is kanji IPADIC does not list as one
    for (;;) {
      const next = tokens[j];
      if (next === undefined) break;
      if (isNamePart(next)) {
        parts++;
        if (next.pos_detail_3 === '名') givenChars += next.surface_form.length;
        hasGiven ||= next.pos_detail_3 === '名';
        hasFamily ||= next.pos_detail_3 === '姓';
        j++;
      } else if (hasFamily && givenChars < 3 && isGivenNameKanji(next)) {
        // 岡部+冬+彦が, 千恵+蔵: single kanji up to a three-character given name, then the phrase ends.
        let k = j;
        let chars = givenChars;
        while (chars < 3 && tokens[k] !== undefined && isGivenNameKanji(tokens[k]!)) {
          chars++;
          k++;
        }
        if (!endsPhrase(tokens[k])) break;
        hasGiven = true;
        givenGuessed = givenChars === 0;
        givenChars = chars;
        j = k;
      } else if (
        NAME_JOINERS.has(next.surface_form) &&
        tokens[j + 1] !== undefined && // the text may end at the joiner (a stream piece)
        (isNamePart(tokens[j + 1]!) || isKatakanaWord(tokens[j + 1]) || /^[A-Z]\.?$/.test(tokens[j + 1]?.surface_form ?? '')) &&
        !(HAN.test(tokens[j - 1]!.surface_form) && HAN.test(tokens[j + 1]!.surface_form)) // 渡辺治・井坂直幹: a list
      ) {
        j += 2;
        const joined = tokens[j - 1]!;
        parts += isNamePart(joined) ? 1 : 0;
        // ジョージ・ピーボディ・アンド・カンパニー: an ordinary word among the parts makes it a thing.
        joinedWord ||=
          !isNamePart(joined) &&
          (joined.word_type === 'UNKNOWN'
            ? joined.surface_form.split(/[・＝=]/).some((part) => part.length > 1 && lookUpWord(part) !== 'unknown' && lookUpWord(part) !== 'name')
            : joined.pos_detail_1 !== '固有名詞');
        // ・ marks the word breaks of a transcribed name: katakana glued after it is the same part
        // (ホワイト+ヘッド in ポール・ホワイトヘッド, ロス+トロ+ン).
        if (isKatakanaWord(joined)) while (isKatakanaWord(tokens[j]) || (KATAKANA.test(tokens[j]?.surface_form ?? '') && !NAME_JOINERS.has(tokens[j]!.surface_form))) j++;
      } else if (hasFamily && !hasGiven && isGivenNameCandidate(next, tokens[j + 1])) {
        // A surname followed by a given name IPADIC does not list (椎名+林檎, 竹中+麻奈).
        hasGiven = true;
        givenGuessed = true;
        j++;
      } else break;
    }
    // ルイ15世, ラムセス2世: a regnal number belongs to the name.
    const regnal = regnalNumberAt(tokens, j);
    if (regnal) j += 2;
    const last = tokens[j - 1]!;
    const before = tokens[i - 1];
    const after = tokens[j];
    const surnameBefore = parts === 1 && hasGiven && !hasFamily && unlistedSurnameBefore(tokens, firstIndex);
    const start = startOf(surnameBefore ? tokens[firstIndex - 1]! : first);
    const end = startOf(last) + last.surface_form.length;
    i = j;

    if (before !== undefined && ORG_BEFORE.test(before.surface_form)) continue;

    const honorific = isHonorific(after);
    // 加藤と申します: a self-introduction.
    const introduced = after?.surface_form === 'と' && /^(?:申し|言い|いい|名乗)/.test(tokens[j + 1]?.surface_form ?? '');
    const titled = isTitle(after) || introduced || (after !== undefined && (PERSON_FOLLOWERS.has(after.surface_form) || CREDITS.has(after.surface_form)));
    // A full name stays a person before a plain noun (手塚治虫原作); only organisation and place
    // words make it part of a proper noun (松下幸之助記念館).
    const fullName = hasFamily && hasGiven && !givenGuessed;
    if (!titled && (fullName ? endsInCompoundHead(tokens, j) : isCompoundHead(after))) continue;

    const surface = tokens
      .slice(firstIndex, j)
      .map((token) => token.surface_form)
      .join('');
    let score: number;
    if (KATAKANA_JOINED.test(surface)) score = scoreKatakanaCompound(surface, lookUpWord);
    else if (joinedWord) score = 0.3;
    else if (parts === 1 && !hasGiven && end - start === 1) score = 0.4; // 森, 章: one kanji alone is rarely a name
    else if (parts === 0) score = 0.5; // a noun IPADIC does not know, made a name by context
    else if (hasFamily && hasGiven) score = givenGuessed ? 0.6 : 0.85;
    else if (parts >= 2) score = 0.75;
    else score = 0.6;
    if (rolePrefixed && !joinedWord) score = Math.max(score, 0.75);
    if (personContext || regnal) score = Math.max(score, 0.6);
    if (endsQuotedTitle(tokens, firstIndex, j) || transferDestination(tokens, j)) score -= 0.3;
    if (honorific) score += 0.35;
    else if (titled || labelledBefore(tokens, firstIndex)) score += 0.25;
    spans.push({ type: 'JP_NAME', start, end, score: Math.min(score, 0.99), detector: 'jp-person-name' });
  }
  return spans;
}
