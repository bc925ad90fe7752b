// The contract every PII detector keeps, English or Japanese: a detector is given one text and
// returns typed spans; the engine (engine.ts) merges overlaps, applies per-entity thresholds and
// the configured actions. A detector never sees config and never mutates the text.
import type { EntityType } from '../../shared/schemas/redaction.js';

/** One detected value: [start, end) in UTF-16 code units of the text given to detect(). */
export interface Span {
  readonly type: EntityType;
  readonly start: number;
  readonly end: number;
  /** 0..1 after context words; the per-entity threshold decides whether it counts. */
  readonly score: number;
  /** The detector's id (shown in the redaction log). */
  readonly detector: string;
}

/**
 * A synchronous detector (regex + validator). Runs on every text, so it must be cheap: its
 * regexes are compiled once at module load, and it should bail out early when a cheap test
 * (a required character, a keyword) fails. Registered in detectors/index.ts.
 */
export interface Detector {
  readonly id: string;
  readonly entityTypes: readonly EntityType[];
  detect(text: string): Span[];
}

/**
 * The Japanese analyzer (daemon/redaction/ja/, owned by redaction-ja): kuromoji-based names and
 * addresses plus the keyword-anchored Japanese identifiers, off the event loop in a worker.
 * The engine calls detectJapanese only for texts that contain Japanese script (hiragana,
 * katakana or kanji; see containsJapaneseScript), so ASCII text never pays for it. The
 * dictionary loads lazily on the first call. Offsets are UTF-16 offsets into `text`.
 */
export interface JapaneseAnalyzer {
  /**
   * When `signal` aborts (the client went away), the text is dropped from the worker's queue and
   * the promise rejects with the signal's reason: nobody waits for that analysis any more.
   */
  detectJapanese(text: string, signal?: AbortSignal): Promise<Span[]>;
  /** Starts the worker and loads the dictionary now (redaction.japanese_preload). */
  warmup?(): Promise<void>;
  /** Stops the worker (daemon shutdown, tests). */
  close(): Promise<void>;
}

// Hiragana, katakana (incl. half-width), CJK unified ideographs (+ ext. A) and the iteration mark.
const JAPANESE_SCRIPT = /[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\u3005]/;

const NON_ASCII = /[^\x00-\x7f]/;

/** True when the text contains hiragana, katakana or kanji: the gate for the Japanese analyzer. */
export function containsJapaneseScript(text: string): boolean {
  // Pure-ASCII check first (the common case for English prompts): V8's regex engine walks a
  // kilobyte of ASCII about three times faster than a charCodeAt loop.
  return NON_ASCII.test(text) && JAPANESE_SCRIPT.test(text);
}
