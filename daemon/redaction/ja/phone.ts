// JP_PHONE: Japanese numbers in the forms people write them: landlines (03-1234-5678,
// 0466(12)3456), mobiles 070/080/090, IP phones 050, toll-free 0120/0800, navi dial 0570, also
// +81 international and unseparated digits. A candidate is checked against the numbering plan
// (10 digits for landlines, 11 for mobile/IP/0800) rather than merely looking phone-shaped;
// separators and words like 電話/TEL/携帯 raise the score, bare digit runs stay medium.
import type { Detector, Span } from '../types.js';
import { OTHER_ID_WORDS } from './id-labels.js';
import { keywordNear, normalizedView, hasDigit } from './scan-context.js';
import { numberMatches } from '../number-runs.js';

// Groups of 1-5 digits joined by one separator ("-", " ", ".", or brackets around the area or
// local part); the numbering plan check below decides what is a phone.
const CANDIDATE =
  /(?<![0-9A-Za-z+\-.])(?:\+81[- ]?(?:\(0\))?|\(0|0)\d{0,4}\)?(?:[- .]?\(?\d{1,4}\)?){1,2}[- .]?\d{3,4}(?![0-9A-Za-z]|[-.]\d)/g;
const PHONE_WORDS = {
  pattern: /電話|TEL|Tel|tel|携帯|FAX|Fax|fax|連絡先|問い?合わせ|ダイヤル|phone|☎|℡/,
  before: 16,
  after: 6,
};
const SEPARATOR = /[- .()]/;

/** The national (0-prefixed) digits of a candidate, or null when it is not a JP number. */
export function nationalDigits(candidate: string): string | null {
  let digits = candidate.replace(/\(0\)/, '').replace(/[^0-9+]/g, '');
  if (digits.startsWith('+81')) digits = '0' + digits.slice(3);
  if (digits.includes('+')) return null;
  return digits;
}

/** Whether 0-prefixed digits are a number of the Japanese numbering plan. */
export function isJapanesePhoneNumber(digits: string): boolean {
  if (/^0[789]0[1-9]\d{7}$/.test(digits)) return true; // mobile / PHS
  if (/^050[1-9]\d{7}$/.test(digits)) return true; // IP phone
  if (/^0120\d{6}$/.test(digits) || /^0800\d{7}$/.test(digits)) return true; // toll-free
  if (/^0570\d{6}$/.test(digits)) return true; // navi dial
  // Landline: 10 digits, area code without a leading 0 after the trunk 0, and none of the
  // non-geographic prefixes above.
  return /^0[1-9]\d{8}$/.test(digits) && !/^0(?:[5789]0|120|20)/.test(digits);
}

export const japanesePhoneDetector: Detector = {
  id: 'jp-phone',
  entityTypes: ['JP_PHONE'],
  detect(text) {
    if (!hasDigit(text)) return [];
    const view = normalizedView(text);
    const spans: Span[] = [];
    for (const match of numberMatches(view, CANDIDATE, 10)) {
      // （03-1234-5678）: a bracket around the whole number is not part of it; 03(1234)5678 keeps its own.
      const wrapped = match[0].startsWith('(') && !match[0].includes(')');
      const raw = wrapped ? match[0].slice(1) : match[0];
      const digits = nationalDigits(raw);
      if (digits === null || !isJapanesePhoneNumber(digits)) continue;
      const start = match.index + (wrapped ? 1 : 0);
      const end = start + raw.length;
      const separated = SEPARATOR.test(raw) || raw.startsWith('+');
      const named = keywordNear(text, start, end, PHONE_WORDS);
      let score = named ? 0.99 : separated ? 0.85 : 0.5;
      if (!named && !separated && keywordNear(text, start, end, OTHER_ID_WORDS)) score = 0.3;
      spans.push({ type: 'JP_PHONE', start, end, score, detector: 'jp-phone' });
    }
    return spans;
  },
};
