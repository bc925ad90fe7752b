// JP_DRIVERS_LICENSE: the 12-digit 運転免許証番号 (plain or 4-4-4) when 免許 is written just
// before it. Its first two digits are the issuing public safety commission (10 北海道 … 97
// 沖縄), which rules out most other 12-digit numbers; the keyword is still required.
import type { Detector, Span } from '../types.js';
import { hasDigit, isSliceOfLongerGroups, keywordNear, normalizedView } from './scan-context.js';
import { numberMatches } from '../number-runs.js';
import { digitsOf } from './normalize-width.js';

const CANDIDATE = /(?<![0-9A-Za-z-])\d{4}([- ]?)\d{4}\1\d{4}(?![0-9A-Za-z]|-\d)/g;
const LICENCE_WORDS = { pattern: /免許|driver'?s? licen[cs]e/i, before: 32, after: 0 };

/** Whether 12 digits start with a public safety commission code (10..97). */
export function isPlausibleLicenceNumber(digits: string): boolean {
  if (!/^\d{12}$/.test(digits)) return false;
  const commission = Number(digits.slice(0, 2));
  return commission >= 10 && commission <= 97;
}

export const driversLicenseDetector: Detector = {
  id: 'jp-drivers-license',
  entityTypes: ['JP_DRIVERS_LICENSE'],
  detect(text) {
    // The keyword is required: without it anywhere in the text there is nothing to find.
    if (!hasDigit(text) || !LICENCE_WORDS.pattern.test(text)) return [];
    const view = normalizedView(text);
    const spans: Span[] = [];
    for (const match of numberMatches(view, CANDIDATE, 12)) {
      const start = match.index;
      const end = start + match[0].length;
      if (isSliceOfLongerGroups(view, start, end)) continue;
      if (!isPlausibleLicenceNumber(digitsOf(match[0])) || !keywordNear(text, start, end, LICENCE_WORDS)) continue;
      spans.push({ type: 'JP_DRIVERS_LICENSE', start, end, score: 0.95, detector: 'jp-drivers-license' });
    }
    return spans;
  },
};
