// The redaction engine: runs every registered detector over a text (and the Japanese analyzer
// when the text has Japanese script), keeps spans at or above their entity's threshold, drops
// allow-listed values, and resolves overlaps (higher score wins, then the longer span) so each
// character belongs to at most one finding.
import { detectors as registeredDetectors } from './detectors/index.js';
import type { RedactionSettings } from './settings.js';
import { containsJapaneseScript } from './types.js';
import type { Detector, JapaneseAnalyzer, Span } from './types.js';

export interface RedactionEngineDeps {
  readonly settings: RedactionSettings;
  /** Defaults to the registry (detectors/index.ts). */
  readonly detectors?: readonly Detector[];
  /** redaction-ja's analyzer; without it Japanese names and addresses are not detected. */
  readonly japanese?: JapaneseAnalyzer | null;
}

export interface RedactionEngine {
  readonly settings: RedactionSettings;
  /** True when detect() will consult the (async) Japanese analyzer for this text. */
  needsJapanese(text: string): boolean;
  /** Spans that count in `text`, sorted by start, non-overlapping. */
  detect(text: string): Promise<Span[]>;
  /** The synchronous detectors only (the hot path for text without Japanese script). */
  detectSync(text: string): Span[];
}

const INTERNATIONAL = /^(?:\(?\+|00\d)/;

/**
 * PHONE and JP_PHONE often both match one number ("090-1234-5678", "085 012 4886"): it is the
 * Japanese number in Japanese text or when written +81, the general one otherwise. In Japanese
 * text a national-format number is judged by the Japanese numbering plan alone (JP_PHONE): the
 * general detector keeps only international (+CC) numbers there.
 */
function settlePhoneRegion(text: string, spans: Span[]): Span[] {
  if (!spans.some((span) => span.type === 'PHONE')) return spans;
  const japaneseText = containsJapaneseScript(text);
  const hasJapanesePhone = spans.some((span) => span.type === 'JP_PHONE');
  if (!japaneseText && !hasJapanesePhone) return spans;
  return spans.filter((span) => {
    if (span.type !== 'PHONE' && span.type !== 'JP_PHONE') return true;
    const value = text.slice(span.start, span.end);
    if (span.type === 'PHONE' && japaneseText && !INTERNATIONAL.test(value)) return false;
    const other = span.type === 'PHONE' ? 'JP_PHONE' : 'PHONE';
    if (!spans.some((candidate) => candidate.type === other && candidate.start < span.end && span.start < candidate.end)) return true;
    const japanese = japaneseText || /^\(?\+81/.test(value);
    return span.type === 'JP_PHONE' ? japanese : !japanese;
  });
}

/** Greedy resolution: best span first (score, then length), keep those that overlap no kept span. */
export function resolveOverlaps(spans: readonly Span[]): Span[] {
  if (spans.length < 2) return [...spans];
  const ranked = [...spans].sort((a, b) => b.score - a.score || b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: Span[] = [];
  for (const span of ranked) {
    if (kept.every((other) => span.end <= other.start || span.start >= other.end)) kept.push(span);
  }
  return kept.sort((a, b) => a.start - b.start);
}

export function createRedactionEngine(deps: RedactionEngineDeps): RedactionEngine {
  const { settings } = deps;
  const detectors = deps.detectors ?? registeredDetectors;
  const japanese = settings.japanese ? (deps.japanese ?? null) : null;

  function accept(text: string, span: Span): boolean {
    if (span.score < settings.thresholds[span.type] || span.end <= span.start) return false;
    return settings.allowValues.size === 0 || !settings.allowValues.has(text.slice(span.start, span.end));
  }

  function collectSync(text: string, into: Span[]): void {
    for (const detector of detectors) {
      for (const span of detector.detect(text)) if (accept(text, span)) into.push(span);
    }
  }

  return {
    settings,
    needsJapanese: (text) => japanese !== null && containsJapaneseScript(text),
    detectSync(text) {
      const spans: Span[] = [];
      collectSync(text, spans);
      return resolveOverlaps(settlePhoneRegion(text, spans));
    },
    async detect(text) {
      const spans: Span[] = [];
      collectSync(text, spans);
      if (japanese !== null && containsJapaneseScript(text)) {
        for (const span of await japanese.detectJapanese(text)) if (accept(text, span)) spans.push(span);
      }
      return resolveOverlaps(settlePhoneRegion(text, spans));
    },
  };
}
