// The redaction log's preview: words around a finding with every finding in view masked.
import { describe, expect, it } from 'vitest';
import { isOneLine, maskedPreview } from '../../../daemon/redaction/preview.js';
import type { Span } from '../../../daemon/redaction/types.js';

function spansOf(text: string, values: [Span['type'], string][]): Span[] {
  return values.map(([type, value]) => {
    const start = text.indexOf(value);
    return { type, start, end: start + value.length, score: 1, detector: 'test' };
  });
}

describe('maskedPreview', () => {
  it('shows about 32 characters either side with the finding and its neighbours masked', () => {
    const text = 'Please call me at +44 20 7946 0958 or mail alice@example.com tomorrow morning.';
    const spans = spansOf(text, [['PHONE', '+44 20 7946 0958'], ['EMAIL', 'alice@example.com']]);
    expect(maskedPreview(text, spans, 0)).toBe('Please call me at [PHONE] or mail [EMAIL]…');
    expect(maskedPreview(text, spans, 1)).toBe('…me at [PHONE] or mail [EMAIL] tomorrow morning.');
  });

  it('cuts long text at word boundaries with an ellipsis, never through another finding', () => {
    const filler = 'lorem ipsum dolor sit amet consectetur '.repeat(3);
    const text = `${filler}card 4111111111111111 then ${filler}`;
    const spans = spansOf(text, [['CREDIT_CARD', '4111111111111111']]);
    const preview = maskedPreview(text, spans, 0);
    expect(preview.startsWith('…')).toBe(true);
    expect(preview.endsWith('…')).toBe(true);
    expect(preview).toContain('card [CREDIT_CARD] then');
    expect(preview).not.toMatch(/\d{4}/);
    // A neighbour straddling the window's edge is masked whole, never shown in part.
    const long = `${'x'.repeat(40)} key -----BEGIN PRIVATE KEY-----\nMIIB${'A'.repeat(80)}\n-----END PRIVATE KEY----- and alice@example.com`;
    const both = spansOf(long, [['PRIVATE_KEY', long.slice(long.indexOf('-----BEGIN'), long.indexOf(' and'))], ['EMAIL', 'alice@example.com']]);
    expect(maskedPreview(long, both, 1)).toBe('…[PRIVATE_KEY] and [EMAIL]');
  });

  it('is one line', () => {
    const text = 'line one\nssn 536-22-8412\n\tend';
    expect(maskedPreview(text, spansOf(text, [['US_SSN', '536-22-8412']]), 0)).toBe('line one ssn [US_SSN] end');
  });
});

describe('isOneLine', () => {
  it('tells whether previews of a text can skip the one-line rewrite', () => {
    expect(isOneLine('Call me at 020 7946 0958 tomorrow, or mail a@b.example.')).toBe(true);
    expect(isOneLine('Call me\nat 020 7946 0958')).toBe(false);
    expect(isOneLine('Call me  at 020 7946 0958')).toBe(false);
    const text = 'Mail a@b.example or call 020 7946 0958 today.';
    const spans = [
      { type: 'EMAIL' as const, start: 5, end: 16, score: 1, detector: 'email' },
      { type: 'PHONE' as const, start: 25, end: 38, score: 1, detector: 'phone' },
    ];
    expect(maskedPreview(text, spans, 1, true)).toBe(maskedPreview(text, spans, 1));
  });
});
