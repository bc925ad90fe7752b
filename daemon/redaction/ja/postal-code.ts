// JP_POSTAL_CODE: 〒123-4567 / 〒1234567, or 123-4567 after 郵便番号 or right before a
// prefecture (the way address lines are written). The span is the digits, so a masked text
// still reads 〒[JP_POSTAL_CODE]. Bare 3-4 digit pairs elsewhere are too common to report.
import type { Detector, Span } from '../types.js';
import { keywordNear, normalizedView, hasDigit } from './scan-context.js';
import { numberMatches } from '../number-runs.js';
import { PREFECTURE_AT_START } from './prefectures.js';

const CANDIDATE = /(?<![0-9A-Za-z-])(\d{3})(-?)(\d{4})(?![0-9A-Za-z]|-\d)/g;
const POSTAL_MARK = { pattern: /〒\s?$/, before: 3, after: 0 };
const POSTAL_WORDS = { pattern: /郵便番号|郵便|〒|postal|zip/i, before: 12, after: 0 };

export const postalCodeDetector: Detector = {
  id: 'jp-postal-code',
  entityTypes: ['JP_POSTAL_CODE'],
  detect(text) {
    if (!hasDigit(text)) return [];
    const view = normalizedView(text);
    const spans: Span[] = [];
    for (const match of numberMatches(view, CANDIDATE, 7)) {
      const start = match.index;
      const end = start + match[0].length;
      const dashed = match[2] === '-';
      let score = 0;
      if (keywordNear(text, start, end, POSTAL_MARK)) score = 0.99;
      else if (keywordNear(text, start, end, POSTAL_WORDS)) score = dashed ? 0.95 : 0.8;
      else if (dashed && PREFECTURE_AT_START.test(text.slice(end, end + 6))) score = 0.85;
      if (score > 0) spans.push({ type: 'JP_POSTAL_CODE', start, end, score, detector: 'jp-postal-code' });
    }
    return spans;
  },
};
