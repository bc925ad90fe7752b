// Builds the Japanese evaluation sets in test/eval/datasets/ reproducibly (fixed seed) from the
// real data in /work/shared/data (see its README for sources and licences):
//   ja-names.jsonl       ner-wikipedia-ja (dev half): every sentence; 人名 spans → JP_NAME.
//                        Sentences whose only entities are 地名/法人名/… are the negatives that
//                        measure precision (names inside 田中工業 are 法人名, not persons).
//   ja-names-prompts.jsonl  requests written here, names marked (see NAME_PROMPTS).
//   ja-addresses.jsonl   jp-address-strings-geolonia: real address strings in varied sentences,
//                        some with a building and room appended; plus place mentions that are
//                        not addresses (東京都渋谷区で開催) as negatives.
//   ja-structured.jsonl  validator cases written here: valid My Number / corporate numbers
//                        (computed check digits), phones, postal codes, bank accounts, passports,
//                        licences, in ASCII, full-width and dash variants; near misses (wrong check
//                        digit, wrong length, no keyword) carry no gold span.
// Run: npx tsx test/eval/build-ja-datasets.ts [data dir]
import fs from 'node:fs';
import path from 'node:path';
import { seededRandom } from '../../daemon/routing/strategies.js'; // mulberry32: the same sets on every run

type Gold = { type: string; start: number; end: number };
// `types`: the entity types a record is annotated for (others found in it are not scored).
type Case = { text: string; spans: Gold[]; types?: string[] };

const dataDir = process.argv[2] ?? '/work/shared/data';
const outDir = path.join(import.meta.dirname, 'datasets');

const random = seededRandom(20260401);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const digits = (n: number): string => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');

/** A sentence template with one `{}` slot: the gold span is where the value lands. */
function fill(template: string, value: string, type: string | null): Case {
  const start = template.indexOf('{}');
  const text = template.slice(0, start) + value + template.slice(start + 2);
  return { text, spans: type === null ? [] : [{ type, start, end: start + value.length }] };
}

function writeSet(name: string, cases: Case[]): void {
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, name), cases.map((c) => JSON.stringify(c)).join('\n') + '\n');
  console.log(`${name}: ${cases.length} texts, ${cases.reduce((n, c) => n + c.spans.length, 0)} gold spans`);
}

// ---------------------------------------------------------------- names (real text)
function buildNames(): Case[] {
  type Record = { text: string; entities: { span: [number, number]; type: string }[] };
  const records = JSON.parse(fs.readFileSync(path.join(dataDir, 'ner-wikipedia-ja', 'ner-dev.json'), 'utf8')) as Record[];
  // The corpus annotates people, places and organisations, not postal addresses: only JP_NAME
  // findings are scored here (a real address in a sentence is not a false positive).
  return records.map((record) => ({
    text: record.text,
    types: ['JP_NAME'],
    spans: record.entities
      .filter((entity) => entity.type === '人名')
      .map((entity) => ({ type: 'JP_NAME', start: entity.span[0], end: entity.span[1] })),
  }));
}

// ---------------------------------------------------------------- addresses
const ADDRESS_TEMPLATES = [
  '{}',
  '住所：{}',
  '現住所は{}です。',
  'お届け先は{}でお願いします。',
  '〒の欄は空欄で、住所は{}と記入してください。',
  '本社を{}に移転しました。',
  '送付先: {} 山田様宛',
  '私は{}に住んでいます。',
  '請求書の宛先を{}に変更してください。',
  '集合場所：{}（駅から徒歩5分）',
  'Please ship it to {} by Friday.',
  '実家の住所が{}なので、そちらに送ってください。',
];
const BUILDINGS = ['サンハイツ', 'グランドメゾン', '第一ビル', 'パークタワー', 'コーポ田中', 'レジデンス渋谷', 'ひまわり荘'];
const ROOMS = ['101号室', '302号室', '5階', '１２０５号室', ''];
const PLACE_NEGATIVES = [
  '東京都渋谷区で開催されたイベントに参加した。',
  '大阪府の人口は約880万人です。',
  '神奈川県横浜市は港町として知られる。',
  '北海道札幌市に出張する予定です。',
  '京都府京都市の紅葉は見事だった。',
  '福岡県の名物は明太子だ。',
  '来週、兵庫県神戸市へ旅行します。',
  '埼玉県さいたま市の会議に出席した。',
  '愛知県名古屋市で新製品を発表した。',
  '沖縄県那覇市の天気は晴れ。',
  '東京都渋谷区で3人が負傷した。',
  '大阪府大阪市の人口は約275万人です。',
  '神奈川県横浜市は1859年に開港した。',
  '札幌市中央区の最低気温は－５度だった。',
  '横浜市で2024年に開催された大会',
  '千葉県の成田市から12便が欠航した。',
  '名古屋市中区で１０月１日から工事が始まる。',
  '福岡市博多区の店舗は3店に増えた。',
];

function buildAddresses(): Case[] {
  const lines = fs.readFileSync(path.join(dataDir, 'jp-address-strings-geolonia', 'addresses.csv'), 'utf8').trim().split('\n').slice(1);
  const addresses = lines.map((line) => line.split(',')[0] ?? '').filter((address) => address.length > 0);
  const cases: Case[] = [];
  for (let i = 0; i < 800; i++) {
    let address = pick(addresses);
    // Some real notations carry their own annotations after the address; keep those sentences out.
    if (/[（(、，・]/.test(address)) continue;
    if (random() < 0.25) address += (random() < 0.5 ? '　' : ' ') + pick(BUILDINGS) + pick(ROOMS);
    if (random() < 0.2) address = address.replace(/^(北海道|東京都|大阪府|京都府|.{2,3}県)/, ''); // prefecture omitted
    const filled = fill(pick(ADDRESS_TEMPLATES), address.trim(), 'JP_ADDRESS');
    // The 送付先 template names a person too: label it, or a correct detection counts as false.
    const name = filled.text.indexOf('山田様');
    if (name !== -1) filled.spans.push({ type: 'JP_NAME', start: name, end: name + 2 });
    cases.push(filled);
  }
  for (const text of PLACE_NEGATIVES) cases.push({ text, spans: [] });
  return cases;
}

// ---------------------------------------------------------------- structured identifiers
const toFullWidth = (s: string): string => s.replace(/[0-9A-Z-]/g, (c) => (c === '-' ? '－' : String.fromCharCode(c.charCodeAt(0) + 0xfee0)));
const DASH_VARIANTS = ['-', '－', 'ー', '‐', '−', '―', '‑'];
function variant(value: string): string {
  const roll = random();
  if (roll < 0.3) return toFullWidth(value);
  if (roll < 0.5) {
    const dash = pick(DASH_VARIANTS);
    return value.replace(/-/g, dash);
  }
  return value;
}

function myNumberCheck(base: string): number {
  let sum = 0;
  for (let n = 1; n <= 11; n++) sum += Number(base[11 - n]) * (n <= 6 ? n + 1 : n - 5);
  const r = sum % 11;
  return r <= 1 ? 0 : 11 - r;
}
function corporateCheck(base: string): number {
  let sum = 0;
  for (let n = 1; n <= 12; n++) sum += Number(base[12 - n]) * (n % 2 === 1 ? 1 : 2);
  return 9 - (sum % 9);
}
const group4 = (s: string): string => s.replace(/(\d{4})(\d{4})(\d{4})/, pick(['$1$2$3', '$1-$2-$3', '$1 $2 $3']));

function buildStructured(): Case[] {
  const cases: Case[] = [];
  const add = (templates: string[], value: string, type: string | null): void => {
    cases.push(fill(pick(templates), variant(value), type));
  };
  const myNumberT = ['マイナンバー：{}', '個人番号は{}です。', '私のマイナンバーは{}です', '番号 {} を確認してください'];
  const corporateT = ['法人番号：{}', '当社の法人番号は{}です。', '登録番号 T{}', '取引先コード{}を参照'];
  const phoneT = ['電話番号：{}', 'TEL {}', '携帯は{}です。', 'ご連絡は{}までお願いします。', '代表 {}（平日9時〜17時）'];
  const postalT = ['〒{} 東京都千代田区', '郵便番号：{}', '〒{}', '{} 大阪府（本社）'];
  const bankT = ['三井住友銀行 新宿支店 普通 {}', '振込先口座番号：{}', 'みずほ銀行 本店 当座預金 {}'];
  const passportT = ['旅券番号：{}', 'パスポート番号は{}です。', 'passport no. {}'];
  const licenceT = ['運転免許証番号：{}', '免許証の番号は{}です。'];
  for (let i = 0; i < 60; i++) {
    const base = digits(11);
    const valid = base + myNumberCheck(base);
    add(myNumberT, group4(valid), 'JP_MY_NUMBER');
    add(myNumberT, group4(base + ((myNumberCheck(base) + 1 + Math.floor(random() * 9)) % 10)), null); // wrong check digit
    add(myNumberT, digits(11), null); // too short
  }
  for (let i = 0; i < 60; i++) {
    const base = digits(12);
    const check = corporateCheck(base);
    if (check > 9) continue;
    add(corporateT, `${check}${base}`, 'JP_CORPORATE_NUMBER');
    add(corporateT, `${(check + 1 + Math.floor(random() * 8)) % 10}${base}`, null);
  }
  const phones = () => [
    `0${pick(['3', '6'])}-${digits(4)}-${digits(4)}`,
    `0${pick(['45', '52', '92', '11', '75'])}-${digits(3)}-${digits(4)}`,
    `0${pick(['466', '422', '276'])}-${digits(2)}-${digits(4)}`,
    `0${pick(['7', '8', '9'])}0-${pick(['1', '2', '3', '4', '5', '6', '7', '8', '9'])}${digits(3)}-${digits(4)}`,
    `050-${pick(['1', '3', '5'])}${digits(3)}-${digits(4)}`,
    `0120-${digits(3)}-${digits(3)}`,
    `0800-${digits(3)}-${digits(4)}`,
    `0${pick(['7', '8', '9'])}0${pick(['1', '2', '3'])}${digits(7)}`,
    `+81-90-${pick(['1', '2', '3', '4', '5', '6', '7', '8', '9'])}${digits(3)}-${digits(4)}`,
    `03(${digits(4)})${digits(4)}`,
  ];
  for (let i = 0; i < 12; i++) for (const phone of phones()) add(phoneT, phone, 'JP_PHONE');
  for (let i = 0; i < 30; i++) {
    add(phoneT, `090-${digits(4)}-${digits(3)}`, null); // a digit short
    add(phoneT, `00-${digits(4)}-${digits(4)}`, null); // no area code
  }
  for (let i = 0; i < 60; i++) {
    add(postalT, `${digits(3)}-${digits(4)}`, 'JP_POSTAL_CODE');
    cases.push(fill(pick(['在庫数は{}個です。', '注文番号 {}', '{}行目を参照']), `${digits(3)}-${digits(4)}`, null)); // no 〒, no keyword
  }
  for (let i = 0; i < 50; i++) {
    add(bankT, digits(7), 'JP_BANK_ACCOUNT');
    cases.push(fill(pick(['会員番号 {}', '受付番号は{}です', 'ID: {}']), digits(7), null)); // no bank keyword
  }
  const letters = () => pick(['TK', 'TR', 'TZ', 'MU', 'ME', 'RE', 'AZ']);
  for (let i = 0; i < 50; i++) {
    add(passportT, `${letters()}${digits(7)}`, 'JP_PASSPORT');
    cases.push(fill(pick(['型番 {}', '品番は{}です', '注文ID {}']), `${letters()}${digits(7)}`, null));
    add(passportT, `${letters()}${digits(6)}`, null); // too short
  }
  for (let i = 0; i < 50; i++) {
    const licence = `${10 + Math.floor(random() * 88)}${digits(10)}`;
    add(licenceT, licence, 'JP_DRIVERS_LICENSE');
    add(licenceT, `${licence}${digits(1)}`, null); // 13 digits
  }
  cases.push(...buildStructuredProse());
  return cases;
}

/**
 * Several identifiers in one longer message, as people write them in a request to a model (mixed
 * widths and dashes), next to numbers that look alike but are not identifiers: amounts, dates,
 * order numbers labelled as such (even 12 digits that pass the My Number check digit).
 */
function buildStructuredProse(): Case[] {
  const cases: Case[] = [];
  for (let i = 0; i < 60; i++) {
    const base = digits(11);
    const myNumber = variant(group4(base + myNumberCheck(base)));
    const phone = variant(`0${pick(['7', '8', '9'])}0-${pick(['1', '2', '3', '4', '5', '6', '7', '8', '9'])}${digits(3)}-${digits(4)}`);
    const landline = variant(`0${pick(['3', '6'])}-${digits(4)}-${digits(4)}`);
    const postal = variant(`${digits(3)}-${digits(4)}`);
    const decoyBase = digits(11);
    const decoy = decoyBase + myNumberCheck(decoyBase); // valid check digit, labelled as an order number
    const parts: [string, string | null][] = [
      ['お世話になっております。先日の申請について、マイナンバーは', null],
      [myNumber, 'JP_MY_NUMBER'],
      [`です。注文番号${decoy}の件とは別です。ご不明点は携帯`, null],
      [phone, 'JP_PHONE'],
      [`か会社の代表${pick(['', '（'])}`, null],
      [landline, 'JP_PHONE'],
      [`${pick(['', '）'])}まで。書類は〒`, null],
      [postal, 'JP_POSTAL_CODE'],
      [`宛に送付済みです。金額は${digits(3)},${digits(3)}円、期日は2025-${pick(['01', '06', '12'])}-${pick(['10', '28'])}です。`, null],
    ];
    let text = '';
    const spans: Gold[] = [];
    for (const [piece, type] of parts) {
      if (type !== null) spans.push({ type, start: text.length, end: text.length + piece.length });
      text += piece;
    }
    cases.push({ text, spans });
  }
  return cases;
}

// ---------------------------------------------------------------- names in prompts
// Requests as people write them to a model (written here; names marked ⟦…⟧): honorifics, roles,
// signatures, self-introductions, foreign names, and prompts whose proper nouns are companies,
// products, places or works rather than people. A second view next to the encyclopedic text of
// ja-names, which has few honorifics and many single foreign names.
const NAME_PROMPTS = [
  '以下のメールを敬語に直してください。「⟦佐藤⟧様、先日の件ですが資料は来週お送りします。⟦鈴木⟧」',
  '顧客の⟦高橋健一⟧さん（45歳）から商品が届かないと問い合わせがありました。返信文を作成して。',
  '大阪支社の⟦山本⟧部長と東京本社の⟦中村⟧課長の会議を設定したいです。',
  '私の名前は⟦渡辺美咲⟧です。自己紹介文を考えてください。',
  '⟦伊藤⟧先生の授業で習った微分方程式の解き方をもう一度説明して。',
  '⟦小林⟧さんにSlackで連絡して、明日の10時に会議室Aを予約して。',
  '⟦加藤⟧と申します。請求書の件でご連絡しました。',
  '担当：⟦吉田⟧　件名：見積もりの再送について、文面を整えてください。',
  '氏名：⟦松本光太郎⟧、生年月日：1988年4月2日。この履歴書を英訳して。',
  '⟦井上⟧さんと⟦木村⟧さんの議事録をまとめてください。',
  '⟦林⟧さんの送別会の挨拶文を書いて。',
  '来週、⟦清水⟧社長が来社されます。お出迎えの段取りを教えて。',
  '⟦ジョン・スミス⟧氏との契約書を日本語で要約してください。',
  '⟦マイケル・ブラウン⟧さんへの英語のお礼メールを書いて。',
  '患者の⟦山口⟧様（72歳）の紹介状を作成してください。',
  '⟦森⟧課長から、⟦池田⟧さん宛ての報告書を確認するよう頼まれました。',
  '⟦橋本⟧くんの誕生日メッセージを考えて。',
  '娘の⟦さくら⟧ちゃんの入学祝いのカードの文面をお願い。',
  '⟦石川⟧弁護士に相談する内容を整理したいです。',
  // A full name written with a space is one name (as in ner-wikipedia-ja: one span per person).
  '契約者：⟦前田　大輔⟧、住所変更の届出書の書き方を教えて。',
  'トヨタとホンダの決算を比較して、日産についても触れてください。',
  'AWSのLambdaとGoogle Cloud Functionsの違いを教えてください。',
  '新宿駅から渋谷駅までの行き方を教えて。',
  '⟦夏目漱石⟧の「こころ」のあらすじを200字で。',
  '松下電器の歴史を簡単にまとめて。',
  '本田技研工業の主力製品は何ですか。',
  '豊田市の観光スポットを3つ教えて。',
  '京都の紅葉の名所をおすすめして。',
  'マイナンバーカードの申請方法を教えてください。',
  'ディズニーランドとユニバーサル・スタジオ・ジャパンを比べて。',
  '田中工業株式会社への請求書のテンプレートを作って。',
  'Excelで重複した行を削除する方法は？',
];

function buildNamePrompts(): Case[] {
  return NAME_PROMPTS.map((marked) => {
    const spans: Gold[] = [];
    let text = '';
    for (const part of marked.split(/(⟦[^⟧]+⟧)/)) {
      if (part.startsWith('⟦')) {
        spans.push({ type: 'JP_NAME', start: text.length, end: text.length + part.length - 2 });
        text += part.slice(1, -1);
      } else text += part;
    }
    return { text, types: ['JP_NAME'], spans };
  });
}

writeSet('ja-names.jsonl', buildNames());
writeSet('ja-names-prompts.jsonl', buildNamePrompts());
writeSet('ja-addresses.jsonl', buildAddresses());
writeSet('ja-structured.jsonl', buildStructured());
