// The engine: every registered detector, per-entity thresholds from config, allow-listed
// values, overlap resolution, PHONE vs JP_PHONE, and the gate that keeps ASCII text away from
// the Japanese analyzer.
import { describe, expect, it } from 'vitest';
import { createRedactionEngine, resolveOverlaps } from '../../../daemon/redaction/engine.js';
import { resolveRedactionSettings } from '../../../daemon/redaction/settings.js';
import type { JapaneseAnalyzer, Span } from '../../../daemon/redaction/types.js';
import type { RedactionConfig } from '../../../shared/schemas/redaction.js';

function engineWith(config?: Partial<RedactionConfig>, japanese: JapaneseAnalyzer | null = null) {
  return createRedactionEngine({ settings: resolveRedactionSettings(config), japanese });
}

function found(spans: readonly Span[], text: string): string[] {
  return spans.map((span) => `${span.type}:${text.slice(span.start, span.end)}`);
}

/** An analyzer that records the texts it was asked about (the real one is redaction-ja's, tested there). */
function recordingAnalyzer(spans: Span[] = []): JapaneseAnalyzer & { asked: string[] } {
  const asked: string[] = [];
  return { asked, detectJapanese: async (text) => (asked.push(text), spans), close: async () => {} };
}

describe('per-entity thresholds', () => {
  const text = 'see 020 7946 0958 today; later, phone 020 7946 0959';

  it('keeps a span at or above its entity threshold and drops one below it', () => {
    // The bare number scores 0.6 (national shape), the one after "phone" 0.95.
    expect(found(engineWith().detectSync(text), text)).toEqual(['PHONE:020 7946 0958', 'PHONE:020 7946 0959']);
    expect(found(engineWith({ entities: { PHONE: { threshold: 0.9 } } }).detectSync(text), text)).toEqual(['PHONE:020 7946 0959']);
  });

  it('lets one type be stricter without touching the others', () => {
    const mixed = 'SSN 536-22-8412, see 020 7946 0958';
    expect(found(engineWith({ entities: { PHONE: { threshold: 0.99 } } }).detectSync(mixed), mixed)).toEqual(['US_SSN:536-22-8412']);
  });

  it('uses default_threshold for types without their own', () => {
    const bare = 'ref 536228412'; // nine bare digits score 0.3 as an SSN
    expect(engineWith().detectSync(bare)).toEqual([]);
    expect(found(engineWith({ default_threshold: 0.25 }).detectSync(bare), bare)).toEqual(['US_SSN:536228412']);
    expect(engineWith({ default_threshold: 0.25, entities: { US_SSN: { threshold: 0.5 } } }).detectSync(bare)).toEqual([]);
  });
});

describe('allow_values', () => {
  it('never reports an allow-listed value, and still reports others of its type', () => {
    const text = 'write to support@kagami.dev or alice@example.com';
    expect(found(engineWith({ allow_values: ['support@kagami.dev'] }).detectSync(text), text)).toEqual(['EMAIL:alice@example.com']);
  });
});

describe('resolveOverlaps', () => {
  const span = (type: Span['type'], start: number, end: number, score: number): Span => ({ type, start, end, score, detector: 'test' });

  it('keeps the higher score, then the longer span, and returns them sorted by start', () => {
    const spans = [span('PHONE', 10, 20, 0.6), span('CREDIT_CARD', 8, 27, 0.9), span('EMAIL', 0, 5, 1), span('US_SSN', 30, 41, 0.6), span('PHONE', 30, 45, 0.6)];
    expect(resolveOverlaps(spans).map((s) => `${s.type}@${s.start}`)).toEqual(['EMAIL@0', 'CREDIT_CARD@8', 'PHONE@30']);
  });

  it('resolves a chain of overlaps as one group: the best first, then whatever no longer overlaps', () => {
    const chain = [span('PHONE', 0, 10, 0.9), span('US_SSN', 8, 20, 0.6), span('CREDIT_CARD', 18, 30, 0.8), span('EMAIL', 40, 50, 1)];
    expect(resolveOverlaps(chain).map((s) => s.type)).toEqual(['PHONE', 'CREDIT_CARD', 'EMAIL']);
    const middle = [span('PHONE', 0, 10, 0.6), span('US_SSN', 8, 20, 0.9), span('CREDIT_CARD', 18, 30, 0.8)];
    expect(resolveOverlaps(middle).map((s) => s.type)).toEqual(['US_SSN']);
  });

  it('keeps adjacent spans (end is exclusive)', () => {
    expect(resolveOverlaps([span('EMAIL', 0, 5, 1), span('PHONE', 5, 9, 0.6)])).toHaveLength(2);
  });
});

describe('PHONE and JP_PHONE', () => {
  const engine = engineWith();
  it.each([
    ['TEL 090-1234-5678', ['JP_PHONE:090-1234-5678']], // written the Japanese way
    ['電話 090-1234-5678', ['JP_PHONE:090-1234-5678']],
    ['call +81 3-1234-5678', ['JP_PHONE:+81 3-1234-5678']],
    ['電話 +44 20 7946 0958', ['PHONE:+44 20 7946 0958']], // a foreign number in Japanese text
    ['call 085 012 4886', ['PHONE:085 012 4886']], // both match; spaces are not how Japan writes it
    ['電話 020 7946 0958', []], // national numbers in Japanese text are judged by the Japanese plan alone
    ['TEL 090-9985-048', ['PHONE:090-9985-048']], // a digit short for Japan; may be another country's
  ])('labels %j as %j', (text, expected) => {
    expect(found(engine.detectSync(text), text)).toEqual(expected);
  });
});

describe('huge texts', () => {
  it('are scanned with a turn of the event loop between detectors, finding the same spans', async () => {
    const engine = engineWith();
    const text = `${'lorem ipsum dolor sit amet '.repeat(12_000)} mail alice@example.com, ssn 536-22-8412`;
    expect(engine.needsAsync(text)).toBe(true);
    expect(engine.needsAsync('short')).toBe(false);
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    const spans = await engine.detect(text);
    expect(turned).toBe(true);
    expect(found(spans, text)).toEqual(found(engine.detectSync(text), text));
    expect(found(spans, text)).toEqual(['EMAIL:alice@example.com', 'US_SSN:536-22-8412']);
  });
});

describe('the Japanese analyzer gate', () => {
  it('never asks the analyzer about text without Japanese script', async () => {
    const analyzer = recordingAnalyzer();
    const engine = engineWith(undefined, analyzer);
    for (const text of ['plain ASCII alice@example.com', 'café naïve — “quotes” 😀', '한국어 텍스트']) {
      expect(engine.needsJapanese(text)).toBe(false);
      await engine.detect(text);
    }
    expect(analyzer.asked).toEqual([]);
  });

  it('asks it about text with kana or kanji and merges its spans with the detectors\'', async () => {
    const text = '山田太郎さんのメールは taro@example.jp です';
    const analyzer = recordingAnalyzer([{ type: 'JP_NAME', start: 0, end: 4, score: 0.9, detector: 'ja-person-name' }]);
    const engine = engineWith(undefined, analyzer);
    expect(engine.needsJapanese(text)).toBe(true);
    expect(found(await engine.detect(text), text)).toEqual(['JP_NAME:山田太郎', 'EMAIL:taro@example.jp']);
    expect(analyzer.asked).toEqual([text]);
  });

  it('drops analyzer spans below their threshold and skips the analyzer when japanese: false', async () => {
    const text = '山田太郎さん';
    const weak = recordingAnalyzer([{ type: 'JP_NAME', start: 0, end: 4, score: 0.4, detector: 'ja-person-name' }]);
    expect(await engineWith(undefined, weak).detect(text)).toEqual([]);
    const off = recordingAnalyzer([{ type: 'JP_NAME', start: 0, end: 4, score: 0.9, detector: 'ja-person-name' }]);
    const engine = engineWith({ japanese: false }, off);
    expect(engine.needsJapanese(text)).toBe(false);
    expect(await engine.detect(text)).toEqual([]);
    expect(off.asked).toEqual([]);
  });
});
