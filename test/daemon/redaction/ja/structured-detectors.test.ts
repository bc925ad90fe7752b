import { describe, expect, it } from 'vitest';
import type { Detector } from '../../../../daemon/redaction/types.js';
import { bankAccountDetector } from '../../../../daemon/redaction/ja/bank-account.js';
import { corporateNumberDetector, isValidCorporateNumber } from '../../../../daemon/redaction/ja/corporate-number.js';
import { driversLicenseDetector } from '../../../../daemon/redaction/ja/drivers-license.js';
import { isValidMyNumber, myNumberDetector } from '../../../../daemon/redaction/ja/my-number.js';
import { normalizeWidth } from '../../../../daemon/redaction/ja/normalize-width.js';
import { passportDetector } from '../../../../daemon/redaction/ja/passport.js';
import { isJapanesePhoneNumber, japanesePhoneDetector } from '../../../../daemon/redaction/ja/phone.js';
import { postalCodeDetector } from '../../../../daemon/redaction/ja/postal-code.js';
import { detectors } from '../../../../daemon/redaction/detectors/index.js';

const DEFAULT_THRESHOLD = 0.5;

/** The values a detector reports at the default threshold, cut from the ORIGINAL text by offset. */
function found(detector: Detector, text: string): string[] {
  return detector
    .detect(text)
    .filter((span) => span.score >= DEFAULT_THRESHOLD)
    .map((span) => text.slice(span.start, span.end));
}

// 123456789018 is valid (check digit 8); the corporate number 7000012050002 is 国税庁's own.
const MY_NUMBER = '123456789018';
const CORPORATE = '7000012050002';

describe('normalizeWidth', () => {
  it('maps full-width digits, letters and every dash variant to ASCII without changing the length', () => {
    const text = '０９０ー１２３４－５６７８‐−―‑ＴＫ（）';
    const view = normalizeWidth(text);
    expect(view).toBe('090-1234-5678----TK()');
    expect(view.length).toBe(text.length);
  });

  it('reads ー as a dash only between digits, not as the long vowel of マイナンバー', () => {
    const text = 'マイナンバー１２３４ー５６７８';
    const view = normalizeWidth(text);
    expect(view).toBe('マイナンバー1234-5678');
    expect(view.length).toBe(text.length);
  });

  it('returns ASCII text unchanged', () => {
    const text = 'call 03-1234-5678';
    expect(normalizeWidth(text)).toBe(text);
  });
});

describe('JP_MY_NUMBER', () => {
  it('validates the official check digit', () => {
    expect(isValidMyNumber(MY_NUMBER)).toBe(true);
    for (let check = 0; check <= 9; check++) if (check !== 8) expect(isValidMyNumber(`12345678901${check}`)).toBe(false);
    expect(isValidMyNumber('12345678901')).toBe(false);
  });

  it('finds valid numbers plain, grouped, full-width and with dash variants, offsets exact', () => {
    expect(found(myNumberDetector, `マイナンバー：${MY_NUMBER}です`)).toEqual([MY_NUMBER]);
    expect(found(myNumberDetector, '個人番号 1234-5678-9018')).toEqual(['1234-5678-9018']);
    expect(found(myNumberDetector, '個人番号は１２３４ ５６７８ ９０１８です')).toEqual(['１２３４ ５６７８ ９０１８']);
    expect(found(myNumberDetector, 'マイナンバー１２３４ー５６７８ー９０１８')).toEqual(['１２３４ー５６７８ー９０１８']);
  });

  it('scores a keyword higher than a bare valid number', () => {
    const [named] = myNumberDetector.detect(`マイナンバー ${MY_NUMBER}`);
    const [bare] = myNumberDetector.detect(`番号 ${MY_NUMBER}`);
    expect(named!.score).toBeGreaterThan(bare!.score);
  });

  it('rejects a wrong check digit, 11 or 13 digits, and a licence number next to 免許', () => {
    expect(found(myNumberDetector, 'マイナンバー 123456789012')).toEqual([]);
    expect(found(myNumberDetector, 'マイナンバー 12345678901')).toEqual([]);
    expect(found(myNumberDetector, 'マイナンバー 1234567890181')).toEqual([]);
    expect(found(myNumberDetector, `免許証番号 ${MY_NUMBER}`)).toEqual([]);
  });

  it('does not take three groups out of a longer run of groups (a card, an IBAN)', () => {
    expect(found(myNumberDetector, 'Charge it to 5018 7083 8076 8422 please')).toEqual([]);
    expect(found(myNumberDetector, 'Our account is FI25 9830 8572 7560 15 at the bank')).toEqual([]);
    expect(found(myNumberDetector, 'マイナンバー 1234-5678-9018-7')).toEqual([]);
    expect(found(driversLicenseDetector, '免許証 3012 3456 7890 1234')).toEqual([]);
    expect(found(myNumberDetector, 'Pay to GB82 WEST 1234 5678 9018 32 today')).toEqual([]);
    expect(found(myNumberDetector, 'マイナンバー 1234 5678 9018 です')).toEqual(['1234 5678 9018']);
    expect(found(myNumberDetector, 'My Number is 1234 5678 9018 and that is all')).toEqual(['1234 5678 9018']);
  });

  it('scores a valid number labelled as another identifier below the threshold', () => {
    expect(found(myNumberDetector, `注文番号 ${MY_NUMBER}`)).toEqual([]);
    expect(found(myNumberDetector, `会員番号：${MY_NUMBER}`)).toEqual([]);
    expect(found(myNumberDetector, `マイナンバー（会員番号ではなく）：${MY_NUMBER}`)).toEqual([MY_NUMBER]); // its own label wins
  });
});

describe('JP_CORPORATE_NUMBER', () => {
  it('validates the leading check digit', () => {
    expect(isValidCorporateNumber(CORPORATE)).toBe(true);
    expect(isValidCorporateNumber('8000012050002')).toBe(false);
    expect(isValidCorporateNumber('700001205000')).toBe(false);
  });

  it('finds the number after 法人番号, after an invoice T prefix, and full-width', () => {
    expect(found(corporateNumberDetector, `法人番号：${CORPORATE}`)).toEqual([CORPORATE]);
    expect(found(corporateNumberDetector, `登録番号 T${CORPORATE}`)).toEqual([CORPORATE]);
    expect(found(corporateNumberDetector, '法人番号７００００１２０５０００２')).toEqual(['７００００１２０５０００２']);
  });

  it('rejects a wrong check digit and longer digit runs', () => {
    expect(found(corporateNumberDetector, '法人番号 8000012050002')).toEqual([]);
    expect(found(corporateNumberDetector, `法人番号 ${CORPORATE}1`)).toEqual([]);
  });
});

describe('JP_PHONE', () => {
  it('follows the numbering plan', () => {
    for (const valid of ['0312345678', '09012345678', '05012345678', '0120123456', '08001234567', '0466123456', '0570123456']) {
      expect(isJapanesePhoneNumber(valid), valid).toBe(true);
    }
    for (const invalid of ['0901234567', '09001234567', '031234567', '0012345678', '05001234567']) {
      expect(isJapanesePhoneNumber(invalid), invalid).toBe(false);
    }
  });

  it('finds landlines, mobiles, IP, toll-free and international forms with any separator', () => {
    const cases = [
      '03-1234-5678',
      '０３－１２３４－５６７８',
      '03ー1234ー5678',
      '090‐1234‐5678',
      '080−1234−5678',
      '070 1234 5678',
      '050-1234-5678',
      '0120-123-456',
      '0800-123-4567',
      '0466(12)3456',
      '03（1234）5678',
      '+81-90-1234-5678',
      '+81 3 1234 5678',
    ];
    for (const phone of cases) expect(found(japanesePhoneDetector, `お問い合わせ ${phone} まで`), phone).toEqual([phone]);
  });

  it('finds unseparated numbers, more confidently after 電話/TEL', () => {
    const [bare] = japanesePhoneDetector.detect('09012345678');
    const [named] = japanesePhoneDetector.detect('TEL 09012345678');
    expect(bare!.score).toBeGreaterThanOrEqual(DEFAULT_THRESHOLD);
    expect(named!.score).toBeGreaterThan(bare!.score);
  });

  it('rejects numbers a digit short or long, and dates', () => {
    expect(found(japanesePhoneDetector, '電話 090-1234-567')).toEqual([]);
    expect(found(japanesePhoneDetector, '電話 03-1234-56789')).toEqual([]);
    expect(found(japanesePhoneDetector, '2024-01-15')).toEqual([]);
  });

  it('leaves out a bracket around the whole number but keeps brackets inside it', () => {
    expect(found(japanesePhoneDetector, '代表（03-1234-5678）まで')).toEqual(['03-1234-5678']);
    expect(found(japanesePhoneDetector, '代表(０３－１２３４－５６７８)まで')).toEqual(['０３－１２３４－５６７８']);
    expect(found(japanesePhoneDetector, '電話 (03)1234-5678')).toEqual(['(03)1234-5678']);
  });
});

describe('JP_POSTAL_CODE', () => {
  it('finds codes after 〒 or 郵便番号, or before a prefecture', () => {
    expect(found(postalCodeDetector, '〒150-0013 東京都渋谷区')).toEqual(['150-0013']);
    expect(found(postalCodeDetector, '〒１５０－００１３')).toEqual(['１５０－００１３']);
    expect(found(postalCodeDetector, '〒1500013')).toEqual(['1500013']);
    expect(found(postalCodeDetector, '郵便番号：150ー0013')).toEqual(['150ー0013']);
    expect(found(postalCodeDetector, '150-0013 東京都渋谷区恵比寿')).toEqual(['150-0013']);
  });

  it('ignores the same shape without 〒, keyword or prefecture', () => {
    expect(found(postalCodeDetector, '在庫は150-0013個')).toEqual([]);
    expect(found(postalCodeDetector, '〒150-00134')).toEqual([]);
  });
});

describe('JP_BANK_ACCOUNT', () => {
  it('finds 7-digit accounts after 口座/支店/普通/当座, and ゆうちょ 記号-番号', () => {
    expect(found(bankAccountDetector, '三菱UFJ銀行 渋谷支店 普通 1234567')).toEqual(['1234567']);
    expect(found(bankAccountDetector, '口座番号：１２３４５６７')).toEqual(['１２３４５６７']);
    expect(found(bankAccountDetector, '当座預金 7654321 へ')).toEqual(['7654321']);
    expect(found(bankAccountDetector, 'ゆうちょ銀行 10120-12345671')).toEqual(['10120-12345671']);
  });

  it('needs the keyword and the exact length', () => {
    expect(found(bankAccountDetector, '会員番号 1234567')).toEqual([]);
    expect(found(bankAccountDetector, '普通 123456')).toEqual([]);
    expect(found(bankAccountDetector, '支店 〒1234567')).toEqual([]);
  });

  it('needs the keyword close: within 32 characters before the number', () => {
    const filler = 'については後日あらためて担当者よりご案内いたしますのでお待ちください、番号';
    expect(filler.length).toBeGreaterThan(32);
    expect(found(bankAccountDetector, `口座${filler}1234567`)).toEqual([]);
    expect(found(bankAccountDetector, `口座番号は、1234567`)).toEqual(['1234567']);
  });
});

describe('JP_PASSPORT', () => {
  it('finds two letters and seven digits near 旅券/パスポート, full-width too', () => {
    expect(found(passportDetector, '旅券番号：TK1234567')).toEqual(['TK1234567']);
    expect(found(passportDetector, 'パスポート番号はＴＫ１２３４５６７です')).toEqual(['ＴＫ１２３４５６７']);
  });

  it('needs the keyword and the exact shape', () => {
    expect(found(passportDetector, '型番 TK1234567')).toEqual([]);
    expect(found(passportDetector, '旅券番号 TK123456')).toEqual([]);
    expect(found(passportDetector, '旅券番号 TKA1234567')).toEqual([]);
  });

  it('takes the keyword just after the number too, but not from far away', () => {
    expect(found(passportDetector, 'TK1234567（パスポート）')).toEqual(['TK1234567']);
    expect(found(passportDetector, `パスポート${'あ'.repeat(40)}TK1234567`)).toEqual([]);
  });
});

describe('JP_DRIVERS_LICENSE', () => {
  it('finds 12 digits after 免許, plain, grouped or full-width', () => {
    expect(found(driversLicenseDetector, '運転免許証番号：301234567890')).toEqual(['301234567890']);
    expect(found(driversLicenseDetector, '免許証 3012-3456-7890')).toEqual(['3012-3456-7890']);
    expect(found(driversLicenseDetector, '免許証番号３０１２３４５６７８９０')).toEqual(['３０１２３４５６７８９０']);
  });

  it('needs the keyword, 12 digits and a commission code 10..97', () => {
    expect(found(driversLicenseDetector, '番号 301234567890')).toEqual([]);
    expect(found(driversLicenseDetector, '免許証番号 3012345678901')).toEqual([]);
    expect(found(driversLicenseDetector, '免許証番号 991234567890')).toEqual([]);
    expect(found(driversLicenseDetector, `免許${'い'.repeat(40)}301234567890`)).toEqual([]);
  });
});

describe('registry', () => {
  it('registers every Japanese structured detector once', () => {
    const ids = detectors.map((detector) => detector.id).filter((id) => id.startsWith('jp-'));
    expect(ids.sort()).toEqual(
      ['jp-bank-account', 'jp-corporate-number', 'jp-drivers-license', 'jp-my-number', 'jp-passport', 'jp-phone', 'jp-postal-code'].sort(),
    );
  });

  it('reports nothing in text without digits', () => {
    for (const detector of detectors.filter((d) => d.id.startsWith('jp-'))) {
      expect(detector.detect('マイナンバーと口座番号と旅券はまだ書いていません。')).toEqual([]);
    }
  });
});
