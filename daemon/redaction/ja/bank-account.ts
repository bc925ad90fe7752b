// JP_BANK_ACCOUNT: a 7-digit account number (普通/当座 accounts at Japanese banks), or a
// ゆうちょ 記号-番号 pair (5 digits - 8 digits), when 口座/支店/普通/当座/預金 is written just
// before it. Without such a word seven digits are just a number, so nothing is reported.
import type { Detector, Span } from '../types.js';
import { keywordNear, normalizedView, hasDigit } from './scan-context.js';
import { numberMatches } from '../number-runs.js';

const CANDIDATE = /(?<![0-9A-Za-z-])(?:\d{7}|\d{5}-\d{8}|\d{5}-\d-\d{6})(?![0-9A-Za-z]|-\d)/g;
const ACCOUNT_WORDS = { pattern: /口座|支店|普通|当座|預金|貯金|ゆうちょ|振込先|account/i, before: 32, after: 0 };
// A postal code or phone written as seven digits near a branch address is not an account.
const NOT_ACCOUNT = { pattern: /〒\s?$|郵便番号\D{0,3}$|電話\D{0,3}$|TEL\D{0,3}$/i, before: 8, after: 0 };

export const bankAccountDetector: Detector = {
  id: 'jp-bank-account',
  entityTypes: ['JP_BANK_ACCOUNT'],
  detect(text) {
    // The keyword is required: without it anywhere in the text there is nothing to find.
    if (!hasDigit(text) || !ACCOUNT_WORDS.pattern.test(text)) return [];
    const view = normalizedView(text);
    const spans: Span[] = [];
    for (const match of numberMatches(view, CANDIDATE, 7)) {
      const start = match.index;
      const end = start + match[0].length;
      if (!keywordNear(text, start, end, ACCOUNT_WORDS) || keywordNear(text, start, end, NOT_ACCOUNT)) continue;
      spans.push({ type: 'JP_BANK_ACCOUNT', start, end, score: 0.95, detector: 'jp-bank-account' });
    }
    return spans;
  },
};
