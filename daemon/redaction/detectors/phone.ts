// PHONE: international numbers (+CC or 00CC) validated against libphonenumber's metadata for
// their country, and national numbers scored by how phone-like their shape is: NANP
// (415) 555-0132, trunk-prefixed 0xx groups (030 1234567, 07700 900123, 01 42 68 53 00),
// other grouped digits. A national number has no country to validate against (German numbering
// alone accepts almost any length), so shape and context words decide, as in Presidio.
import { hash } from 'node:crypto';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { compileContext, scoreWithContext } from '../context-words.js';
import type { Detector, Span } from '../types.js';

// Optional "+" or "(+"; digits with single separators (space . - /) and parenthesised groups;
// an optional extension. Validation below counts digits and rejects dates and versions.
const CANDIDATE =
  /(?<![\w+.\-/@])(?:\+|\(\+?)?\d(?:[ .\-/]?\(?\d|\)[ .\-]?\d|\d){5,19}(?:[ ]?(?:x|ext\.?|#)[ ]?\d{1,6})?(?![\w@]|[.\-/]\d)/g;
const NANP = /^(?:\+?1[ .-]?)?(?:\([2-9]\d{2}\)|[2-9]\d{2})[ .-]?[2-9]\d{2}[ .-]\d{4}(?:[ ]?(?:x|ext\.?|#)[ ]?\d{1,6})?$/;
// The same 3-3-4 grouping with digits the numbering plan does not assign ("(555) 123-4567"):
// still written as a phone number, nothing else is written like that.
const NANP_SHAPE = /^(?:\+?1[ .-]?)?(?:\(\d{3}\) ?\d{3}([ .-])|\d{3}([.-])\d{3}\2)\d{4}(?:[ ]?(?:x|ext\.?|#)[ ]?\d{1,6})?$/;
// Three-two-four digits is how US social security numbers are written, not phone numbers.
const SSN_SHAPE = /^\d{3}([- .])\d{2}\1\d{4}$/;
const DECIMAL = /^\d+\.\d+$/;
const DATE = /^(?:\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})$/;
const EXTENSION = /[ ]?(?:x|ext\.?|#)[ ]?\d{1,6}$/;

const CONTEXT = compileContext({
  positive: [
    'phone', 'telephone', 'tel', 'call', 'calling', 'mobile', 'cell', 'fax', 'contact', 'reach', 'number', 'whatsapp', 'sms',
    'text', 'dial', 'hotline', 'ring', 'landline', 'office', 'voicemail', 'message', 'messages', 'answering', 'ext', 'extension',
  ],
  negative: [
    'order', 'invoice', 'account', 'acct', 'serial', 'isbn', 'card', 'ssn', 'tracking', 'id', 'version', 'ref', 'reference',
    'iban', 'zip', 'postal', 'amount', 'total', 'license', 'licence', 'passport', 'policy',
    // "number" alone is a phone word; these phrases name other numbers.
    'license number', 'licence number', 'account number', 'order number', 'card number', 'serial number', 'tracking number',
    'reference number', 'policy number', 'passport number', 'id number', 'invoice number', 'case number', 'ticket number',
    'sku', 'batch', 'lot', 'part number', 'model number', 'item',
  ],
  negativeAfter: ['st', 'street', 'ave', 'avenue', 'road', 'rd', 'blvd', 'lane', 'drive', 'apt', 'suite'],
  boost: 0.35,
  penalty: 0.35,
});

function countDigits(value: string): number {
  let digits = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 48 && code <= 57) digits++;
  }
  return digits;
}

// libphonenumber rebuilds its regexes on every call (10–70 µs per international number), and
// the same numbers come back in every turn of a conversation: verdicts are memoised, keyed by
// a hash so no number stays in memory in clear after its request.
const verdicts = new Map<string, number>();
const MAX_VERDICTS = 2048;

/** 0.95 for a number valid in its country's plan, 0.7 when only its length is possible, else 0. */
function internationalScore(international: string): number {
  const key = hash('sha256', international, 'base64');
  const known = verdicts.get(key);
  if (known !== undefined) return known;
  // The candidate is the whole number already: strict parsing, no extraction pass (half the cost).
  const parsed = parsePhoneNumberFromString(international, { extract: false });
  const score = parsed === undefined ? 0 : parsed.isValid() ? 0.95 : parsed.isPossible() ? 0.7 : 0;
  if (verdicts.size >= MAX_VERDICTS) verdicts.delete(verdicts.keys().next().value as string);
  verdicts.set(key, score);
  return score;
}

/** Base score from the number's shape alone, or 0 when it cannot be a phone number. */
function scoreShape(raw: string): number {
  // An extension needs "x", "t" (ext) or "#": most candidates have none, so no regex runs.
  const number = raw.includes('x') || raw.includes('t') || raw.includes('#') ? raw.replace(EXTENSION, '') : raw;
  const digits = countDigits(number);
  // Length gates before the shape regexes: a DATE is at most 10 characters, SSN_SHAPE exactly 11.
  if (digits < 7 || digits > 15 || (number.length <= 10 && DATE.test(number))) return 0;
  if (number.length === 11 && SSN_SHAPE.test(number)) return 0.1;
  // "00" is the international prefix only when the country code follows it directly (0044…).
  if (number.startsWith('+') || number.startsWith('(+') || /^00\d/.test(number)) {
    return internationalScore(number.startsWith('00') ? `+${number.slice(2)}` : number.replace('(+', '+'));
  }
  if (number.startsWith('00')) return 0; // "00-4348-5523": neither a country code nor a trunk prefix
  if (number.includes('.') && DECIMAL.test(number)) return 0; // "0.000123456", "3.14159265": one dot is a decimal point
  if (NANP.test(raw)) return 0.75;
  if (NANP_SHAPE.test(raw)) return 0.6;
  const grouped = /[ .\-/()]/.test(number);
  if (number.startsWith('0') || number.startsWith('(0')) {
    if (digits >= 9 && digits <= 12) return grouped ? 0.6 : 0.4;
    return grouped ? 0.35 : 0;
  }
  if (grouped) return digits <= 12 ? 0.4 : 0.3;
  return digits >= 10 && digits <= 11 ? 0.3 : 0;
}

export const phoneDetector: Detector = {
  id: 'phone',
  entityTypes: ['PHONE'],
  detect(text) {
    const spans: Span[] = [];
    for (const match of text.matchAll(CANDIDATE)) {
      let raw = match[0];
      // "(415) 555-0132" starts with "(", "555-0132)" must not keep a dangling ")".
      if (raw.endsWith(')') && !raw.includes('(')) raw = raw.slice(0, -1);
      const base = scoreShape(raw);
      if (base === 0) continue;
      const start = match.index;
      const end = start + raw.length;
      spans.push({ type: 'PHONE', start, end, score: scoreWithContext(text, start, end, base, CONTEXT), detector: 'phone' });
    }
    return spans;
  },
};
