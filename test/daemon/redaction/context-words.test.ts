// Context words (Presidio's idea): words before (or after) a candidate raise or lower its score;
// whole words only, case-insensitive, within a window.
import { describe, expect, it } from 'vitest';
import { compileContext, scoreWithContext } from '../../../daemon/redaction/context-words.js';

const context = compileContext({ positive: ['phone', 'text me'], negative: ['order'], negativeAfter: ['street'], boost: 0.3, penalty: 0.4, window: 40 });

function score(text: string): number {
  const start = text.indexOf('555');
  return scoreWithContext(text, start, start + 3, 0.5, context);
}

describe('scoreWithContext', () => {
  it('raises the score for a positive word before or shortly after the candidate', () => {
    expect(score('555')).toBe(0.5);
    expect(score('Phone: 555')).toBeCloseTo(0.8, 10);
    expect(score('555 (phone)')).toBeCloseTo(0.8, 10);
    expect(score('text-me 555')).toBeCloseTo(0.8, 10); // a multi-word entry matches with - or _ too
  });

  it('lowers it for a negative word before, or a negativeAfter word after', () => {
    expect(score('ORDER 555')).toBeCloseTo(0.1, 10);
    expect(score('555 Street')).toBeCloseTo(0.1, 10);
    // negativeAfter words only count after the candidate.
    expect(score('street 555')).toBe(0.5);
  });

  it('lets the nearer of a positive and a negative word before the candidate decide', () => {
    expect(score('order form; phone 555')).toBeCloseTo(0.8, 10);
    expect(score('phone me about order 555')).toBeCloseTo(0.1, 10);
  });

  it('prefers a negative phrase over the positive word it ends with', () => {
    const phrases = compileContext({ positive: ['number'], negative: ['license', 'license number'], boost: 0.3, penalty: 0.4 });
    const at = (text: string): number => scoreWithContext(text, text.length - 3, text.length, 0.5, phrases);
    expect(at('my number is 555')).toBeCloseTo(0.8, 10);
    expect(at('my license number is 555')).toBeCloseTo(0.1, 10);
    expect(at('license clerk, number: 555')).toBeCloseTo(0.8, 10);
  });

  it('matches whole words only', () => {
    expect(score('headphones 555')).toBe(0.5);
    expect(score('reorder 555')).toBe(0.5);
    expect(score('phoney 555')).toBe(0.5);
  });

  it('looks only inside the window (40 characters before, a quarter of it after)', () => {
    expect(score(`phone${' '.repeat(40)}555`)).toBe(0.5);
    expect(score(`555${' '.repeat(10)}phone`)).toBe(0.5);
  });

  it('clamps to 0..1', () => {
    const strong = compileContext({ positive: ['ssn'], boost: 0.9 });
    const harsh = compileContext({ negative: ['id'], penalty: 0.9 });
    expect(scoreWithContext('ssn 1', 4, 5, 0.5, strong)).toBe(1);
    expect(scoreWithContext('id 1', 3, 4, 0.5, harsh)).toBe(0);
  });
});
