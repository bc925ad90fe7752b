// numberMatches: the number detectors run their patterns only around digit runs long enough to
// hold a number; that must find exactly the matches a scan of the whole text finds (those with
// enough digits), wherever the text puts letters, separators and prefixes.
import { describe, expect, it } from 'vitest';
import { normalizedView } from '../../../daemon/redaction/ja/scan-context.js';
import { numberMatches } from '../../../daemon/redaction/number-runs.js';
import { seededRandom } from '../../../daemon/routing/strategies.js';

// The detectors' own candidate patterns: card, SSN, IPv4 (with CIDR), and the Japanese ones on
// the width-normalised view (corporate number with its T prefix, My Number, phone with +81 and
// brackets, postal code, bank account).
const PATTERNS: [string, RegExp, number][] = [
  ['card', /(?<![\w.,-])\d(?:[ -]?\d){11,18}(?![\d]|[.,-]\d)/g, 12],
  ['ssn', /(?<![\d.-])(\d{3})([- .]?)(\d{2})\2(\d{4})(?![\d]|[.-]\d)/g, 9],
  ['ipv4', /(?<![\w.])(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(?:\/(?:3[0-2]|[12]?\d))?(?![\w]|\.\d)/g, 4],
  ['corporate', /(?<![0-9A-Za-z-])(T[- ]?)?(\d{13}|\d-?\d{4}-?\d{4}-?\d{4})(?![0-9A-Za-z]|-\d)/g, 13],
  ['my number', /(?<![0-9A-Za-z-])\d{4}([- ]?)\d{4}\1\d{4}(?![0-9A-Za-z]|-\d)/g, 12],
  ['phone', /(?<![0-9A-Za-z+\-.])(?:\+81[- ]?(?:\(0\))?|\(0|0)\d{0,4}\)?(?:[- .]?\(?\d{1,4}\)?){1,2}[- .]?\d{3,4}(?![0-9A-Za-z]|[-.]\d)/g, 10],
  ['postal', /(?<![0-9A-Za-z-])(\d{3})(-?)(\d{4})(?![0-9A-Za-z]|-\d)/g, 7],
  ['bank', /(?<![0-9A-Za-z-])(?:\d{7}|\d{5}-\d{8}|\d{5}-\d-\d{6})(?![0-9A-Za-z]|-\d)/g, 7],
];

function digitCount(value: string): number {
  return value.replace(/[^0-9]/g, '').length;
}

/** What a whole-text scan finds, keeping the matches with at least `minDigits` digits. */
function scanned(view: string, pattern: RegExp, minDigits: number): string[] {
  return [...view.matchAll(pattern)].filter((match) => digitCount(match[0]) >= minDigits).map((match) => `${match.index}:${match[0]}`);
}

function found(view: string, pattern: RegExp, minDigits: number): string[] {
  return numberMatches(view, pattern, minDigits)
    .filter((match) => digitCount(match[0]) >= minDigits)
    .map((match) => `${match.index}:${match[0]}`);
}

describe('numberMatches', () => {
  it('finds what a whole-text scan finds in written examples', () => {
    const texts = [
      'T1234567890123 and T-1234567890123, 1-2345-6789-0123 at the start',
      '1234567890123',
      'x1234567890123 A-1234 5678 9012 -123456789012 1234 5678 9012-3',
      '電話 +81 (0)90-1234-5678, 03(1234)5678, (03) 1234-5678 and 0466-12-3456.',
      '〒150-0013 and 1500013; 口座 1234567, 12345-12345678, 12345-1-123456',
      '4111 1111 1111 1111 then 1234-5678-9012 then 12345678901234567890',
      'SSN 536-22-8412 or 536 22 8412, hosts 10.0.0.0/8, 192.168.1.1.5 and 1.1.1.1',
    ];
    for (const text of texts) {
      const view = normalizedView(text);
      for (const [name, pattern, minDigits] of PATTERNS) expect(found(view, pattern, minDigits), `${name}: ${text}`).toEqual(scanned(view, pattern, minDigits));
    }
  });

  it('finds what a whole-text scan finds in 3,000 random strings of digits, separators, prefixes and letters', () => {
    const random = seededRandom(11);
    const alphabet = '0123456789012345678901234567890123456789-- ..()/T+8aZ\n';
    let matched = 0;
    for (let n = 0; n < 3000; n++) {
      let text = '';
      const length = 10 + Math.floor(random() * 60);
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
      const view = normalizedView(text);
      for (const [name, pattern, minDigits] of PATTERNS) {
        const expected = scanned(view, pattern, minDigits);
        matched += expected.length;
        expect(found(view, pattern, minDigits), `${name}: ${JSON.stringify(text)}`).toEqual(expected);
      }
    }
    expect(matched).toBeGreaterThan(500); // the strings do hold numbers
  });

  it('reads full-width digits and dashes through the normalised view, at the original offsets', () => {
    const text = '個人番号：１２３４－５６７８－９０１２です';
    const [, pattern] = PATTERNS.find(([name]) => name === 'my number')!;
    expect(found(normalizedView(text), pattern, 12)).toEqual(['5:1234-5678-9012']);
  });
});
