// JP_PASSPORT: a Japanese passport number (two capital letters + seven digits, e.g. TK1234567;
// full-width letters and digits accepted) when 旅券/パスポート/passport is written just before
// or after it. The shape alone matches product codes, so the keyword is required.
import type { Detector, Span } from '../types.js';
import { keywordNear, normalizedView, hasDigit } from './scan-context.js';

const CANDIDATE = /(?<![0-9A-Za-z-])[A-Z]{2}\d{7}(?![0-9A-Za-z])/g;
const PASSPORT_WORDS = { pattern: /旅券|パスポート|passport/i, before: 32, after: 8 };

export const passportDetector: Detector = {
  id: 'jp-passport',
  entityTypes: ['JP_PASSPORT'],
  detect(text) {
    // The keyword is required: without it anywhere in the text there is nothing to find.
    if (!hasDigit(text) || !PASSPORT_WORDS.pattern.test(text)) return [];
    const view = normalizedView(text);
    const spans: Span[] = [];
    for (const match of view.matchAll(CANDIDATE)) {
      const start = match.index;
      const end = start + match[0].length;
      if (!keywordNear(text, start, end, PASSPORT_WORDS)) continue;
      spans.push({ type: 'JP_PASSPORT', start, end, score: 0.95, detector: 'jp-passport' });
    }
    return spans;
  },
};
