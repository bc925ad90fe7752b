// US_SSN: AAA-GG-SSSS with the ranges the SSA never issues excluded (area 000, 666, 900–999;
// group 00; serial 0000) and the famous published samples. Separated forms are likely SSNs;
// nine bare digits only count with a context word such as "SSN".
import { compileContext, scoreWithContext } from '../context-words.js';
import { numberMatches } from '../number-runs.js';
import type { Detector, Span } from '../types.js';

const CANDIDATE = /(?<![\d.-])(\d{3})([- .]?)(\d{2})\2(\d{4})(?![\d]|[.-]\d)/g;

const CONTEXT = compileContext({
  positive: ['ssn', 'ssns', 'social security', 'social', 'security number', 'taxpayer', 'tin'],
  negative: ['order', 'invoice', 'tracking', 'phone', 'tel', 'zip'],
  boost: 0.4,
  penalty: 0.3,
});

const PUBLISHED_SAMPLES = new Set(['078051120', '219099999', '123456789', '987654320', '111111111']);

function validSsn(area: string, group: string, serial: string): boolean {
  const areaNumber = Number(area);
  if (areaNumber === 0 || areaNumber === 666 || areaNumber >= 900) return false;
  if (group === '00' || serial === '0000') return false;
  const digits = area + group + serial;
  return !PUBLISHED_SAMPLES.has(digits) && !/^(\d)\1{8}$/.test(digits);
}

export const usSsnDetector: Detector = {
  id: 'us-ssn',
  entityTypes: ['US_SSN'],
  detect(text) {
    const spans: Span[] = [];
    for (const match of numberMatches(text, CANDIDATE, 9)) {
      const [raw, area = '', separator = '', group = '', serial = ''] = match;
      if (!validSsn(area, group, serial)) continue;
      const start = match.index;
      const end = start + raw.length;
      const base = separator === '' ? 0.3 : 0.6;
      spans.push({ type: 'US_SSN', start, end, score: scoreWithContext(text, start, end, base, CONTEXT), detector: 'us-ssn' });
    }
    return spans;
  },
};
