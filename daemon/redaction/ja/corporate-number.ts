// JP_CORPORATE_NUMBER: the 13-digit 法人番号 (also the digits of an invoice registration number,
// T + 13 digits), whose FIRST digit checks the other twelve (国税庁: 9 − Σ Pn·Qn mod 9, Qn = 1
// for odd n and 2 for even n from the right). A T prefix or 法人番号/登録番号 nearby raises the
// score; one random 13-digit number in 9 passes the check, so alone it stays medium.
import type { Detector, Span } from '../types.js';
import { keywordNear, normalizedView, hasDigit } from './scan-context.js';
import { numberMatches } from '../number-runs.js';
import { digitsOf } from './normalize-width.js';
import { OTHER_ID_WORDS } from './id-labels.js';

const CANDIDATE = /(?<![0-9A-Za-z-])(T[- ]?)?(\d{13}|\d-?\d{4}-?\d{4}-?\d{4})(?![0-9A-Za-z]|-\d)/g;
const CORPORATE_WORDS = { pattern: /法人番号|登録番号|インボイス|適格請求書|corporate number/i, before: 24, after: 4 };

/** The check digit test over exactly 13 ASCII digits (check digit first). */
export function isValidCorporateNumber(digits: string): boolean {
  if (!/^\d{13}$/.test(digits)) return false;
  let sum = 0;
  for (let n = 1; n <= 12; n++) {
    const p = digits.charCodeAt(13 - n) - 48; // n-th digit from the right
    sum += p * (n % 2 === 1 ? 1 : 2);
  }
  return 9 - (sum % 9) === digits.charCodeAt(0) - 48;
}

export const corporateNumberDetector: Detector = {
  id: 'jp-corporate-number',
  entityTypes: ['JP_CORPORATE_NUMBER'],
  detect(text) {
    if (!hasDigit(text)) return [];
    const view = normalizedView(text);
    const spans: Span[] = [];
    for (const match of numberMatches(view, CANDIDATE, 13)) {
      const body = match[2] ?? '';
      const start = match.index + match[0].length - body.length;
      const end = match.index + match[0].length;
      if (!isValidCorporateNumber(digitsOf(body))) continue;
      const named = match[1] !== undefined || keywordNear(text, start, end, CORPORATE_WORDS);
      // Labelled as some other identifier (免許証番号：…): a chance check-digit match.
      const score = named ? 0.99 : keywordNear(text, start, end, OTHER_ID_WORDS) ? 0.3 : 0.6;
      spans.push({ type: 'JP_CORPORATE_NUMBER', start, end, score, detector: 'jp-corporate-number' });
    }
    return spans;
  },
};
