// How a rule's targets are put in order: a weighted draw (seeded RNG injected), or a ranking
// by cost, latency or a blend of both. Pure functions: the caller supplies prices, latency
// estimates, breaker availability and token estimates, so the same code serves live routing,
// `kagami policy explain` and the simulator.
import type { Price } from '../../shared/schemas/price.js';
import { costUsd } from '../policy/price.js';

export type RankingStrategy = 'cheapest' | 'fastest' | 'cost_latency';

export interface RankCandidate {
  readonly endpoint: string;
  readonly price: Price | null;
  /** Expected latency (EWMA, or the endpoint's hint), null when nothing is known. */
  readonly latencyMs: number | null;
  /** Observed p95 for the SLO check, null when too few samples. */
  readonly p95Ms: number | null;
  /** False when the endpoint's breaker is open. */
  readonly available: boolean;
}

export interface RankOptions {
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** cost_latency: 0 = only cost matters, 1 = only latency. */
  readonly latencyWeight: number;
  readonly sloMs: number | null;
}

export interface ScoredCandidate {
  readonly endpoint: string;
  readonly costUsd: number;
  readonly latencyMs: number | null;
  /** Lower is better; comparable within one ranking only. */
  readonly score: number;
  readonly withinSlo: boolean;
  readonly available: boolean;
}

/** Latency assumed for an endpoint nothing is known about: the mean of the known ones, else 1 s. */
const UNKNOWN_LATENCY_MS = 1000;

export function rankCandidates(strategy: RankingStrategy, candidates: readonly RankCandidate[], options: RankOptions): ScoredCandidate[] {
  const known = candidates.filter((c) => c.latencyMs !== null);
  const fallbackLatency = known.length > 0 ? known.reduce((s, c) => s + (c.latencyMs ?? 0), 0) / known.length : UNKNOWN_LATENCY_MS;
  const costs = candidates.map((c) => costUsd(c.price, { promptTokens: options.promptTokens, completionTokens: options.completionTokens }));
  const latencies = candidates.map((c) => c.latencyMs ?? fallbackLatency);
  const maxCost = Math.max(0, ...costs);
  const maxLatency = Math.max(0, ...latencies);
  const w = strategy === 'cheapest' ? 0 : strategy === 'fastest' ? 1 : options.latencyWeight;
  const scored = candidates.map((c, i): ScoredCandidate => {
    const cost = costs[i] ?? 0;
    const latency = latencies[i] ?? fallbackLatency;
    const normCost = maxCost > 0 ? cost / maxCost : 0;
    const normLatency = maxLatency > 0 ? latency / maxLatency : 0;
    // A tiny tie-breaker on the other dimension keeps pure strategies deterministic.
    const score = (1 - w) * normCost + w * normLatency + 1e-6 * (w >= 0.5 ? normCost : normLatency);
    const slo = options.sloMs;
    const observed = c.p95Ms ?? c.latencyMs;
    return {
      endpoint: c.endpoint,
      costUsd: cost,
      latencyMs: c.latencyMs,
      score: round(score),
      withinSlo: slo === null || observed === null || observed <= slo,
      available: c.available,
    };
  });
  // Available first, then within the SLO, then by score; stable for equal scores.
  return scored
    .map((s, i) => ({ s, i }))
    .sort((a, b) => rankKey(a.s) - rankKey(b.s) || a.s.score - b.s.score || a.i - b.i)
    .map(({ s }) => s);
}

function rankKey(s: ScoredCandidate): number {
  return (s.available ? 0 : 2) + (s.withinSlo ? 0 : 1);
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/**
 * Draws the first target by weight; the rest follow by descending weight (the natural
 * fallback order). `random` returns [0, 1).
 */
export function drawWeighted(
  targets: readonly { readonly endpoint: string; readonly weight: number }[],
  totalWeight: number,
  random: () => number,
): string[] {
  let pick = random() * totalWeight;
  let chosen = targets[targets.length - 1]?.endpoint;
  for (const t of targets) {
    pick -= t.weight;
    if (pick < 0) {
      chosen = t.endpoint;
      break;
    }
  }
  const rest = targets
    .filter((t) => t.endpoint !== chosen)
    .sort((a, b) => b.weight - a.weight)
    .map((t) => t.endpoint);
  return chosen === undefined ? rest : [chosen, ...rest];
}

/** A small seeded PRNG (mulberry32) for reproducible weighted splits in tests and the simulator. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
