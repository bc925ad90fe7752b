// JP_MY_NUMBER: the 12-digit 個人番号, written plain or 4-4-4, whose last digit is the check digit
// of the official formula (総務省令 第八十五号: weights 2..7,2..6 from the right, mod 11).
// A valid check digit alone is worth a medium score (one random 12-digit number in 11 passes);
// マイナンバー/個人番号 nearby makes it near-certain. Next to 免許 the same digits are a driver's
// licence number, which jp-drivers-license reports instead.
import type { Detector, Span } from '../types.js';
import { hasDigit, isSliceOfLongerGroups, keywordNear, normalizedView } from './scan-context.js';
import { numberMatches } from '../number-runs.js';
import { digitsOf } from './normalize-width.js';
import { OTHER_ID_WORDS } from './id-labels.js';

const CANDIDATE = /(?<![0-9A-Za-z-])\d{4}([- ]?)\d{4}\1\d{4}(?![0-9A-Za-z]|-\d)/g;
const MY_NUMBER_WORDS = { pattern: /マイナンバー|個人番号|my ?number/i, before: 24, after: 6 };
const LICENCE_WORDS = { pattern: /免許/, before: 24, after: 0 };

/** The official check digit test over exactly 12 ASCII digits. */
export function isValidMyNumber(digits: string): boolean {
  if (!/^\d{12}$/.test(digits)) return false;
  let sum = 0;
  for (let n = 1; n <= 11; n++) {
    const p = digits.charCodeAt(11 - n) - 48; // n-th digit from the right, check digit excluded
    sum += p * (n <= 6 ? n + 1 : n - 5);
  }
  const remainder = sum % 11;
  const check = remainder <= 1 ? 0 : 11 - remainder;
  return check === digits.charCodeAt(11) - 48;
}

export const myNumberDetector: Detector = {
  id: 'jp-my-number',
  entityTypes: ['JP_MY_NUMBER'],
  detect(text) {
    if (!hasDigit(text)) return [];
    const view = normalizedView(text);
    const spans: Span[] = [];
    for (const match of numberMatches(view, CANDIDATE, 12)) {
      const start = match.index;
      const end = start + match[0].length;
      if (isSliceOfLongerGroups(view, start, end)) continue;
      if (!isValidMyNumber(digitsOf(match[0]))) continue;
      const named = keywordNear(text, start, end, MY_NUMBER_WORDS);
      if (!named && keywordNear(text, start, end, LICENCE_WORDS)) continue;
      const score = named ? 0.99 : keywordNear(text, start, end, OTHER_ID_WORDS) ? 0.3 : 0.6;
      spans.push({ type: 'JP_MY_NUMBER', start, end, score, detector: 'jp-my-number' });
    }
    return spans;
  },
};
