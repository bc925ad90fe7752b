// The context around a Japanese person name, read off kuromoji tokens (Presidio's context
// words): honorifics and titles after it, roles and form labels before it, and what is said of
// it (の + a noun only persons have, a person's verb, a credit). Also the context that says a
// name-like word is a thing: a quoted title, the club a player moves to.
import type { JapaneseToken } from './kuromoji-tokenizer.js';

const TITLES = new Set([
  '先生', '監督', '選手', '教授', '准教授', '博士', '社長', '会長', '副社長', '専務', '常務', '部長', '課長',
  '係長', '店長', '院長', '校長', '所長', '理事長', '代表', '首相', '総理', '大統領', '副大統領', '議員',
  '知事', '市長', '町長', '村長', '大臣', '長官', '容疑者', '被告', '被告人', '弁護士', '医師', '投手',
  '捕手', '夫人', '皇帝', '国王', '王', '将軍', '作曲家', '作家', '歌手', '俳優', '女優', '記者', '師匠',
  '氏', '卿', '外相', '蔵相', '主将', 'コーチ', 'アナ', '画伯', '容疑', '元帥', '提督', '司令官', '少佐',
  '中佐', '大佐', '少将', '中将', '大将', '伍長', '軍曹', '親方', '関', '殿下', '陛下', '上人', '和尚',
  '大使', '党首', '頭取', '中尉', '大尉', '少尉', '伯爵', '子爵', '公爵', '侯爵', '男爵', '騎手', '棋士',
  '力士', '内野手', '外野手', '監督代行', '主審', '会長代行', '理事', '取締役', '編集長', '局長', '次官',
]);
// Form labels before a name (氏名：山田太郎, 担当は鈴木です): context that raises the score.
const NAME_LABELS = new Set([
  '氏名', '名前', 'お名前', '担当', '担当者', '宛名', '差出人', '署名', '代表者', '申請者', '契約者', '患者', '受取人',
  '送り主', '依頼者', '名義', '名義人', '保護者', '連絡先', '責任者', '記入者', '入居者', '利用者', '購入者',
]);

/** A form label right before the name, across a colon or は/が (氏名：, 担当は). */
export function labelledBefore(tokens: readonly JapaneseToken[], index: number): boolean {
  for (let k = index - 1; k >= Math.max(0, index - 3); k--) {
    const token = tokens[k]!;
    if (NAME_LABELS.has(token.surface_form)) return true;
    const separator = token.pos === '記号' || token.surface_form === 'は' || token.surface_form === 'が' || /^[\s:：,、]+$/.test(token.surface_form);
    if (!separator) return false;
  }
  return false;
}

// Roles written before a name (監督のカルメン・ロペス, 女優・山東昭子, FWロッキー): context for a
// katakana word the dictionary does not know.
export const ROLES_BEFORE = new Set([
  '選手', '監督', '俳優', '女優', '歌手', '作家', '小説家', '漫画家', '画家', '大統領', '首相', '教授', '博士', '記者',
  '投手', '捕手', 'FW', 'MF', 'DF', 'GK', '司会', 'アナウンサー', '弁護士', '医師', '社長', '会長', 'CEO', '国王',
  '皇帝', '将軍', '外相', '議員', 'ピアニスト', 'ギタリスト', 'ボーカル', '指揮者', '作曲家', '脚本家', '演出家',
  'プロデューサー', 'デザイナー', 'タレント', '棋士', '騎手', '力士', 'コーチ', '妻', '夫', '息子', '娘', '父', '母',
  '兄', '弟', '姉', '妹', '長男', '次男', '長女', '次女', '王子', '王女', '皇太子', '司令官', '主将', '担当者',
]);

export function roleBefore(tokens: readonly JapaneseToken[], index: number): boolean {
  const previous = tokens[index - 1];
  if (previous === undefined) return false;
  if (ROLES_BEFORE.has(previous.surface_form)) return true;
  return (previous.surface_form === 'の' || previous.surface_form === '・') && ROLES_BEFORE.has(tokens[index - 2]?.surface_form ?? '');
}

// Words after a name that say it is a person (山田ら, 佐藤本人, 鈴木役): not a compound.
export const PERSON_FOLLOWERS = new Set(['ら', 'たち', '達', '役', '本人', '自身', '個人', '一家', '夫妻', '兄弟', '姉妹', '親子', '夫婦']);
// Credits after a name (スタン・リー原作, スティーブ・ディッコ作画, 岡部冬彦作詞): what a person made.
export const CREDITS = new Set(['原作', '作画', '作詞', '作曲', '編曲', '脚本', '演出', '原案', '脚色', '主演', '監修', '訳', '著', '画', '作', '撮影', '振付']);
const HONORIFIC_WORDS = new Set(['さん', '様', 'さま', '氏', '君', 'くん', 'ちゃん', '殿', 'たん', '嬢', '女史']);
const OPENING_QUOTE = /^[「『【〈《]$/;
const CLOSING_QUOTE = /^[」』】〉》]$/;
export function isHonorific(token: JapaneseToken | undefined): boolean {
  if (token === undefined) return false;
  return (token.pos_detail_1 === '接尾' && token.pos_detail_2 === '人名') || HONORIFIC_WORDS.has(token.surface_form);
}

export function isTitle(token: JapaneseToken | undefined): boolean {
  return token !== undefined && TITLES.has(token.surface_form);
}

/**
 * 「傷ついた翼」, 「ラ・シルフィード」: a name that ends a quoted phrase with no punctuation in it is
 * the title of a work. A quoted message (「…。鈴木」) ends with a signature, not a title.
 */
export function endsQuotedTitle(tokens: readonly JapaneseToken[], first: number, after: number): boolean {
  if (!CLOSING_QUOTE.test(tokens[after]?.surface_form ?? '')) return false;
  for (let k = first - 1; k >= Math.max(0, first - 8); k--) {
    const token = tokens[k]!;
    if (OPENING_QUOTE.test(token.surface_form)) return true;
    if (token.pos === '記号' && token.surface_form !== '・') return false;
  }
  return false;
}

// What is said right after a word that only a person has (ボアソナードの提案, ウォルターズの自伝).
const PERSON_NOUNS_AFTER = new Set([
  '妻', '夫', '息子', '娘', '父', '母', '兄', '弟', '姉', '妹', '父親', '母親', '長男', '長女', '次男', '次女', '家族', '恋人',
  '友人', '弟子', '師匠', '部下', '上司', '後任', '前任', '後継者', '自伝', '伝記', '遺体', '遺志', '遺言', '葬儀', '墓', '生涯', '晩年',
  '生前', '死後', '肖像', '著書', '発明', '提案', '出産', '妊娠', '誕生日', '生家',
]);
// Verbs whose subject is a person (…は1990年に生まれた, …が監督に就任): read to the end of the sentence.
const PERSON_PREDICATE =
  /^(?:生まれ|生ま|死去|死亡|死ん|亡く|没し|埋葬|執筆|逝去|結婚|婚約|離婚|再婚|出産|就任|辞任|引退|出演|主演|演じ|語っ|語る|述べ|著し|率い|入団|卒業|留学|来日|渡米|師事|即位|退位|戴冠|暗殺|処刑|戦死|病死|出家|会談|指名|任命)/;

const WITH_A_PERSON = /^(?:結婚|再婚|離婚|婚約|交際|共演|対談|会談|共著|共作|親交|師弟)/;

/** After a word: a person follower (ら, 自身), の + a noun only persons have, or は/が + a person's verb. */
export function saidOfAPerson(tokens: readonly JapaneseToken[], next: number): boolean {
  const token = tokens[next];
  if (token === undefined) return false;
  if (PERSON_FOLLOWERS.has(token.surface_form) || CREDITS.has(token.surface_form)) return true;
  if (token.surface_form === 'の') return PERSON_NOUNS_AFTER.has(tokens[next + 1]?.surface_form ?? '');
  // Xと結婚した, Xと共演, Xを演じた, Xに師事: what one does with (or as) a person.
  if (token.surface_form === 'と') return WITH_A_PERSON.test(tokens[next + 1]?.surface_form ?? '');
  if (token.surface_form === 'を') return /^演じ/.test(tokens[next + 1]?.surface_form ?? '');
  if (token.surface_form === 'に') return tokens[next + 1]?.surface_form === '師事';
  if (token.surface_form !== 'は' && token.surface_form !== 'が') return false;
  for (let k = next + 1; k < Math.min(tokens.length, next + 40); k++) {
    const token = tokens[k]!;
    const word = token.surface_form;
    if (word === '。' || word === '\n') return false;
    if (token.pos !== '名詞' && token.pos !== '動詞') continue;
    if (PERSON_PREDICATE.test(word)) return true;
    // Xは、イギリスのミュージシャンである。: the sentence defines X as a person.
    if (isPersonNoun(token) && COPULA.test(tokens[k + 1]?.surface_form ?? '')) return true;
  }
  return false;
}

const COPULA = /^(?:で|だ|だっ|。)$/;
// Nouns that name what a person is (作家, ミュージシャン, 統計学者, 日本人).
const PERSON_NOUNS = new Set([
  'ミュージシャン', 'ダンサー', 'アーティスト', 'シンガーソングライター', 'タレント', 'モデル', 'アナウンサー', 'ジャーナリスト',
  'コンサルタント', 'エンジニア', 'デザイナー', 'プロデューサー', 'ピアニスト', 'ギタリスト', 'バレリーナ', 'レスラー', 'ボクサー',
  '人物', '一人', '女性', '男性', '少年', '少女', '息子', '娘', '妻', '夫', '父', '母', '兄', '弟', '姉', '妹', '子孫', '末裔',
  '政治家', '俳優', '女優', '歌手', '選手', '監督', '騎手', '棋士', '力士', '詩人', '画家', '作家', '小説家', '漫画家', '声優',
]);

/** A noun naming what a person is: a listed one, or the suffix 者/家/人/手/士/師/員/官 (統計学+者). */
function isPersonNoun(noun: JapaneseToken): boolean {
  if (noun.pos !== '名詞') return false;
  if (PERSON_NOUNS.has(noun.surface_form) || TITLES.has(noun.surface_form)) return true;
  if (noun.pos_detail_1 === '接尾') return /^(?:者|家|人|手|士|師|員|官)$/.test(noun.surface_form);
  return /^\p{Script=Han}+者$/u.test(noun.surface_form); // 学者, 研究者, 指導者
}

/** A number then 世 (15世, ２世) at `index`: the regnal number of a monarch or pope. */
export function regnalNumberAt(tokens: readonly JapaneseToken[], index: number): boolean {
  return tokens[index]?.pos_detail_1 === '数' && /^[0-9０-９]+$/.test(tokens[index]!.surface_form) && tokens[index + 1]?.surface_form === '世';
}

// Xに移籍した, Xへ期限付き移籍, Xにトレードされた: where a player moves is a club (but Xに移籍を
// 打診した offers a move to a person).
const TRANSFER_WORDS = new Set(['移籍', '完全', '期限', 'レンタル', 'トレード', '入団', '加入', '復帰']);

export function transferDestination(tokens: readonly JapaneseToken[], after: number): boolean {
  const particle = tokens[after]?.surface_form;
  if (particle !== 'に' && particle !== 'へ') return false;
  return TRANSFER_WORDS.has(tokens[after + 1]?.surface_form ?? '') && tokens[after + 2]?.surface_form !== 'を';
}
