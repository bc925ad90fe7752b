// AWS_ACCESS_KEY: access key ids, a four-letter type prefix (AKIA long-term, ASIA temporary
// STS, and AWS's other documented prefixes) plus 16 base32 characters. The matching secret
// access key has no prefix; the generic SECRET detector finds it next to its name.
import type { Detector, Span } from '../types.js';

const ACCESS_KEY_ID = /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z2-7]{16}(?![A-Za-z0-9])/g;

export const awsAccessKeyDetector: Detector = {
  id: 'aws-access-key',
  entityTypes: ['AWS_ACCESS_KEY'],
  detect(text) {
    const spans: Span[] = [];
    for (const match of text.matchAll(ACCESS_KEY_ID)) {
      const start = match.index;
      // AKIA/ASIA are the keys people paste; the rarer prefixes are ids more often than secrets.
      const score = match[0].startsWith('AKIA') || match[0].startsWith('ASIA') ? 0.95 : 0.7;
      spans.push({ type: 'AWS_ACCESS_KEY', start, end: start + match[0].length, score, detector: 'aws-access-key' });
    }
    return spans;
  },
};
