// The one suite every synchronous detector runs (test/daemon/redaction/detectors/<id>.test.ts):
// its own valid values and near misses, plus the contract the engine relies on: spans inside
// the text, UTF-16 offsets (text before the value may hold Japanese or emoji), scores in 0..1,
// no state leaking between calls (module-level /g regexes), and no catastrophic backtracking
// on long adversarial input.
//
// A case is written with the expected value between ⟦ and ⟧: "Call ⟦+44 20 7946 0958⟧ now".
// A valid case must yield exactly that span at or above the default threshold; a near miss
// (no brackets) must yield nothing that counts.
import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLD } from '../../../../daemon/redaction/settings.js';
import type { Detector, Span } from '../../../../daemon/redaction/types.js';

export interface DetectorCases {
  /** Texts with each expected value marked ⟦…⟧. */
  readonly valid: readonly string[];
  /** Texts in which nothing may count (each a value that looks right and is not). */
  readonly nearMiss: readonly string[];
  /** Long inputs built to make a careless regex backtrack (each must finish). */
  readonly adversarial?: readonly string[];
}

export interface MarkedText {
  readonly text: string;
  readonly spans: readonly { start: number; end: number }[];
}

/** "a ⟦b⟧ c" → { text: "a b c", spans: [{2,3}] }. */
export function unmark(marked: string): MarkedText {
  let text = '';
  const spans: { start: number; end: number }[] = [];
  let open = -1;
  for (const char of marked) {
    if (char === '⟦') open = text.length;
    else if (char === '⟧') {
      spans.push({ start: open, end: text.length });
      open = -1;
    } else text += char;
  }
  return { text, spans };
}

/** The spans that count at the default threshold, as [value, start, end]. */
export function counted(detector: Detector, text: string): [string, number, number][] {
  return detector
    .detect(text)
    .filter((span) => span.score >= DEFAULT_THRESHOLD)
    .map((span) => [text.slice(span.start, span.end), span.start, span.end]);
}

function checkShape(detector: Detector, text: string, spans: readonly Span[]): void {
  for (const span of spans) {
    expect(detector.entityTypes).toContain(span.type);
    expect(span.detector).toBe(detector.id);
    expect(span.start).toBeGreaterThanOrEqual(0);
    expect(span.end).toBeGreaterThan(span.start);
    expect(span.end).toBeLessThanOrEqual(text.length);
    expect(span.score).toBeGreaterThanOrEqual(0);
    expect(span.score).toBeLessThanOrEqual(1);
  }
}

const DEFAULT_ADVERSARIAL = [
  '1 '.repeat(20_000),
  '1-'.repeat(20_000),
  'a@'.repeat(20_000),
  'a.'.repeat(20_000) + '@',
  ':'.repeat(40_000),
  '1:'.repeat(20_000),
  'ab12'.repeat(10_000),
  'password=' + 'x'.repeat(40_000),
  'eyJ' + 'a'.repeat(40_000) + '.',
  '-----BEGIN PRIVATE KEY-----\n' + 'QUJD\n'.repeat(8_000),
];

export function describeDetector(detector: Detector, cases: DetectorCases): void {
  describe(`${detector.id} detector`, () => {
    it.each(cases.valid)('finds the marked value in %j', (marked) => {
      const { text, spans } = unmark(marked);
      const found = detector.detect(text);
      checkShape(detector, text, found);
      expect(counted(detector, text)).toEqual(spans.map(({ start, end }) => [text.slice(start, end), start, end]));
    });

    it.each(cases.nearMiss)('finds nothing that counts in %j', (text) => {
      const found = detector.detect(text);
      checkShape(detector, text, found);
      expect(counted(detector, text)).toEqual([]);
    });

    it('reports UTF-16 offsets of the text it was given (Japanese and emoji before the value)', () => {
      for (const marked of cases.valid) {
        const { text, spans } = unmark(`日本語のテキスト😀 ${marked}`);
        expect(counted(detector, text)).toEqual(spans.map(({ start, end }) => [text.slice(start, end), start, end]));
      }
    });

    it('gives the same answer on every call, in any order (no regex state kept between texts)', () => {
      const texts = [...cases.valid.map((marked) => unmark(marked).text), ...cases.nearMiss];
      const first = texts.map((text) => detector.detect(text));
      const again = [...texts].reverse().map((text) => detector.detect(text)).reverse();
      expect(again).toEqual(first);
      // Two values in one text are both found.
      const joined = cases.valid.slice(0, 2).map((marked) => unmark(marked).text).join('\n\n');
      const expected = cases.valid.slice(0, 2).reduce((n, marked) => n + unmark(marked).spans.length, 0);
      expect(counted(detector, joined)).toHaveLength(expected);
    });

    it('returns nothing for empty and plain text and finishes on long adversarial input', () => {
      expect(detector.detect('')).toEqual([]);
      expect(counted(detector, 'The quick brown fox jumps over the lazy dog. '.repeat(200))).toEqual([]);
      for (const text of [...DEFAULT_ADVERSARIAL, ...(cases.adversarial ?? [])]) checkShape(detector, text, detector.detect(text));
    });
  });
}
