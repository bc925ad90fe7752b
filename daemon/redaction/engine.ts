// The redaction engine: runs every registered detector over a text (and the Japanese analyzer
// when the text has Japanese script), keeps spans at or above their entity's threshold, drops
// allow-listed values, and resolves overlaps (higher score wins, then the longer span) so each
// character belongs to at most one finding.
import { GatewayError } from '../../shared/errors.js';
import { detectors as registeredDetectors } from './detectors/index.js';
import { forgetNormalizedView } from './ja/scan-context.js';
import { forgetNumberRuns } from './number-runs.js';
import type { RedactionSettings } from './settings.js';
import { containsJapaneseScript } from './types.js';
import type { Detector, JapaneseAnalyzer, Span } from './types.js';
import { warmUpDetectors } from './warm-up.js';

export interface RedactionEngineDeps {
  readonly settings: RedactionSettings;
  /** Defaults to the registry (detectors/index.ts). */
  readonly detectors?: readonly Detector[];
  /** redaction-ja's analyzer; without it Japanese names and addresses are not detected. */
  readonly japanese?: JapaneseAnalyzer | null;
}

export interface RedactionEngine {
  readonly settings: RedactionSettings;
  /** True when detect() should be used rather than detectSync(): Japanese script, or a huge text. */
  needsAsync(text: string): boolean;
  /** True when detect() will consult the (async) Japanese analyzer for this text. */
  needsJapanese(text: string): boolean;
  /**
   * Spans that count in `text`, sorted by start, non-overlapping (yields between detectors on huge
   * texts). `belowThreshold`, when given, receives the Japanese analyzer's spans that do not count
   * yet (東京都渋谷区 alone): the stream redactor holds them back while more text may raise them.
   * When `signal` aborts, the work left is dropped and the promise rejects with its reason.
   */
  detect(text: string, belowThreshold?: Span[], signal?: AbortSignal): Promise<Span[]>;
  /** The synchronous detectors only (the hot path for text without Japanese script). */
  detectSync(text: string): Span[];
}

/**
 * The error for more Japanese-script text than the analyzer takes (redaction.japanese_max_chars):
 * the text is refused, never passed on unscanned. A request gets a 413 naming the field (`param`,
 * its largest text); an answer (the engine is asked about one text over the limit only on the
 * answer side: the scanner checks requests first) a 502, since the client cannot fix it.
 */
export function japaneseTooLargeError(chars: number, limit: number, side: 'request' | 'answer', param: string | null = null): GatewayError {
  const count = (n: number): string => n.toLocaleString('en-US');
  const over = `${count(chars)} characters of text with Japanese script, over the ${count(limit)} the PII redaction scans (redaction.japanese_max_chars)`;
  if (side === 'answer') {
    return new GatewayError('pii_scan_too_large', `The model's answer was withheld: it carries ${over}, and it is never passed on unscanned.`, { status: 502 });
  }
  return new GatewayError(
    'pii_scan_too_large',
    `The request was refused because it carries ${over} per request; it was not sent. Shorten or split the text, or raise the limit.`,
    { param },
  );
}

/**
 * The detectors share per-text work through memos of the last text scanned (its width-normalised
 * view, its digit runs); once a text is scanned they are dropped, so no prompt stays referenced
 * in memory after its request (a 4 MB one included).
 */
function forgetScannedText(): void {
  forgetNumberRuns();
  forgetNormalizedView();
}

/** Texts longer than this are scanned one detector per event-loop turn (tens of ms each). */
const YIELD_ABOVE = 256 * 1024;

const INTERNATIONAL = /^(?:\(?\+|00\d)/;
// A national number written the Japanese way: hyphenated groups from the trunk 0
// (03-1234-5678, 0276-02-5517), or a bare 11-digit mobile/IP number (09012345678).
const JAPANESE_WRITING = /^(?:0\d{1,4}-\d{1,4}-\d{3,4}|0[5789]0\d{8})$/;

function overlapsType(spans: readonly Span[], span: Span, type: Span['type']): boolean {
  return spans.some((other) => other.type === type && other.start < span.end && span.start < other.end);
}

/**
 * PHONE and JP_PHONE often both match one number ("090-1234-5678", "085 012 4886"). A +81
 * number, and a national number in Japanese text, is judged by the Japanese numbering plan
 * alone (JP_PHONE; the general detector's shape-only guess is dropped). In other text, a
 * number both accept is JP_PHONE's when written the Japanese way, else PHONE's; a number only
 * the general detector accepts stays PHONE (it may be any country's).
 */
function settlePhoneRegion(text: string, spans: Span[]): Span[] {
  if (!spans.some((span) => span.type === 'PHONE')) return spans;
  const japaneseText = containsJapaneseScript(text);
  return spans.filter((span) => {
    if (span.type !== 'PHONE' && span.type !== 'JP_PHONE') return true;
    const value = text.slice(span.start, span.end);
    if (/^\(?\+81/.test(value) || (japaneseText && !INTERNATIONAL.test(value))) return span.type === 'JP_PHONE';
    const japaneseWriting = JAPANESE_WRITING.test(value);
    if (span.type === 'PHONE') return !(japaneseWriting && overlapsType(spans, span, 'JP_PHONE'));
    return japaneseWriting || !overlapsType(spans, span, 'PHONE');
  });
}

/** Greedy resolution within one group of overlapping spans: best first (score, then length). */
function resolveCluster(spans: readonly Span[]): Span[] {
  const ranked = [...spans].sort((a, b) => b.score - a.score || b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: Span[] = [];
  for (const span of ranked) {
    if (kept.every((other) => span.end <= other.start || span.start >= other.end)) kept.push(span);
  }
  return kept.sort((a, b) => a.start - b.start);
}

/**
 * Keeps the best span of each overlap (higher score, then longer), sorted by start. Spans are
 * grouped into runs that overlap one another first, so a text with thousands of findings
 * costs n log n, not n².
 */
export function resolveOverlaps(spans: readonly Span[]): Span[] {
  if (spans.length < 2) return [...spans];
  const byStart = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  const resolved: Span[] = [];
  let cluster: Span[] = [];
  let clusterEnd = -1;
  for (const span of byStart) {
    if (span.start >= clusterEnd && cluster.length > 0) {
      resolved.push(...(cluster.length === 1 ? cluster : resolveCluster(cluster)));
      cluster = [];
    }
    cluster.push(span);
    clusterEnd = Math.max(clusterEnd, span.end);
  }
  resolved.push(...(cluster.length === 1 ? cluster : resolveCluster(cluster)));
  return resolved;
}

export function createRedactionEngine(deps: RedactionEngineDeps): RedactionEngine {
  const { settings } = deps;
  const detectors = deps.detectors ?? registeredDetectors;
  const japanese = settings.japanese ? (deps.japanese ?? null) : null;
  // At daemon start, not on the first requests (once per process; a caller's own detectors are left alone).
  if (settings.enabled && deps.detectors === undefined) warmUpDetectors(detectors);
  // In the background: nothing waits for it (a Japanese request arriving first waits for the
  // load, as without preload); a failed load is reported by the first Japanese request.
  if (settings.enabled && settings.japanesePreload) japanese?.warmup?.().catch(() => undefined);

  function accept(text: string, span: Span): boolean {
    if (span.score < settings.thresholds[span.type] || span.end <= span.start) return false;
    return settings.allowValues.size === 0 || !settings.allowValues.has(text.slice(span.start, span.end));
  }

  function collectSync(text: string, into: Span[]): void {
    for (const detector of detectors) {
      for (const span of detector.detect(text)) if (accept(text, span)) into.push(span);
    }
    forgetScannedText();
  }

  return {
    settings,
    needsJapanese: (text) => japanese !== null && containsJapaneseScript(text),
    needsAsync: (text) => text.length > YIELD_ABOVE || (japanese !== null && containsJapaneseScript(text)),
    detectSync(text) {
      const spans: Span[] = [];
      collectSync(text, spans);
      return resolveOverlaps(settlePhoneRegion(text, spans));
    },
    async detect(text, belowThreshold, signal) {
      const spans: Span[] = [];
      if (text.length > YIELD_ABOVE) {
        // A huge text: other requests get a turn of the event loop between detectors.
        for (const detector of detectors) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          signal?.throwIfAborted();
          for (const span of detector.detect(text)) if (accept(text, span)) spans.push(span);
        }
        forgetScannedText();
      } else {
        collectSync(text, spans);
      }
      if (japanese !== null && containsJapaneseScript(text)) {
        if (text.length > settings.japaneseMaxChars) throw japaneseTooLargeError(text.length, settings.japaneseMaxChars, 'answer');
        for (const span of await japanese.detectJapanese(text, signal)) {
          if (accept(text, span)) spans.push(span);
          else belowThreshold?.push(span);
        }
      }
      return resolveOverlaps(settlePhoneRegion(text, spans));
    },
  };
}
