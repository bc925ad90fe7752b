// CREDIT_CARD: 12–19 digits, optionally grouped by one consistent separator, that pass Luhn and
// start with a real issuer prefix (Visa, Mastercard, Amex, Discover, Diners, JCB, UnionPay,
// Maestro, Mir, RuPay, UATP). Luhn alone lets one random digit string in ten through; the
// issuer ranges and length rules take that far lower.
import { passesLuhn } from '../checksums.js';
import { compileContext, scoreWithContext } from '../context-words.js';
import { numberMatches } from '../number-runs.js';
import type { Detector, Span } from '../types.js';

const CANDIDATE = /(?<![\w.,-])\d(?:[ -]?\d){11,18}(?![\d]|[.,-]\d)/g;

const CONTEXT = compileContext({
  positive: ['card', 'credit', 'debit', 'visa', 'mastercard', 'amex', 'cc', 'pan', 'payment'],
  negative: ['order', 'tracking', 'invoice', 'isbn', 'serial', 'corporate number', '法人番号', 'マイナンバー', '個人番号'],
  boost: 0.05,
  penalty: 0.3,
});

/** Lengths each issuer range allows, checked on the leading digits. */
function issuerAllows(digits: string): boolean {
  const length = digits.length;
  const two = Number(digits.slice(0, 2));
  const four = Number(digits.slice(0, 4));
  switch (digits[0]) {
    case '1': // UATP; JCB's legacy 1800
      return length === 15;
    case '2': // Mir 2200–2204, Mastercard 2221–2720, JCB's legacy 2131
      if (four === 2131) return length === 15;
      return (four >= 2200 && four <= 2204 && length >= 16 && length <= 19) || (four >= 2221 && four <= 2720 && length === 16);
    case '3':
      if (two === 34 || two === 37) return length === 15; // Amex
      if (two === 35) return length >= 16 && length <= 19; // JCB (3528–3589, and co-branded 35xx)
      if (two === 30 || two === 36 || two === 38 || two === 39) return length >= 14 && length <= 19; // Diners
      return false;
    case '4': // Visa (Electron included)
      return length === 13 || length === 16 || length === 19;
    case '5': // Mastercard 51–55, Maestro/Dankort/RuPay 50, 56–59
      return two >= 51 && two <= 55 ? length === 16 : length >= 12 && length <= 19;
    case '6': // Discover, UnionPay, Maestro, RuPay
      return length >= 12 && length <= 19;
    default:
      return false;
  }
}

/**
 * Grouping must look like a card's: no separators, or one separator between groups of 3–6.
 * One pass, no allocation: most candidates are phone numbers and ids that fail here.
 */
function groupingPlausible(raw: string): boolean {
  let separator = 0;
  let groups = 1;
  let groupLength = 0;
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code !== 0x20 && code !== 0x2d) {
      groupLength++;
      continue;
    }
    if (separator === 0) separator = code;
    else if (code !== separator) return false;
    if (groupLength < 3 || groupLength > 6) return false;
    groups++;
    groupLength = 0;
  }
  return separator === 0 || (groups >= 3 && groupLength >= 3 && groupLength <= 6);
}

export const creditCardDetector: Detector = {
  id: 'credit-card',
  entityTypes: ['CREDIT_CARD'],
  detect(text) {
    const spans: Span[] = [];
    for (const match of numberMatches(text, CANDIDATE, 12)) {
      const raw = match[0];
      const digits = raw.replace(/[ -]/g, '');
      if (!groupingPlausible(raw) || !issuerAllows(digits) || !passesLuhn(digits)) continue;
      // All-same or trivially repeating digits pass Luhn now and then; they are test filler.
      if (/^(\d)\1+$/.test(digits)) continue;
      const start = match.index;
      const end = start + raw.length;
      // 13-digit Visa cards are all but retired; a 13-digit number is more often an id (法人番号).
      const base = digits.length === 13 ? 0.7 : 0.9;
      spans.push({ type: 'CREDIT_CARD', start, end, score: scoreWithContext(text, start, end, base, CONTEXT), detector: 'credit-card' });
    }
    return spans;
  },
};
