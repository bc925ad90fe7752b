// `kagami simulate`: replays recorded traffic under a candidate policy with the daemon's own
// rule evaluation and routing (buildRequestFacts, matchRule, decideRoute), and compares, per
// tenant and endpoint, requests, cost and latency with what really happened.
//
// The model, stated so an admin can judge the figures:
// - cost: the endpoint's price (policy endpoints; config model prices for `$requested`) times
//   the request's recorded prompt and completion tokens;
// - latency: the request's own recorded latency when the candidate sends it where it really
//   went; else, for an endpoint with enough recorded requests (10, of varied lengths), a
//   least-squares line latency = a + b × completion tokens fitted to them (generation time
//   grows with the answer); else its recorded median; else its latency_hint_ms; else unknown
//   (left out of the means, and counted);
// - routing state: every breaker closed, the live latency per endpoint is the recorded
//   median (what cost_latency / fastest / SLO rank with), weighted draws from a seeded RNG;
// - data classes: entity-based classes are recomputed from the recorded PII entity types,
//   other recorded classes are kept; headers and metadata are not recorded in the audit
//   trail, so rules on them only match traffic files that carry them.
import { isGatewayError } from '../../shared/errors.js';
import type { TrafficRecord } from '../../shared/schemas/policy-tools.js';
import type { CompiledPolicy } from '../policy/compile-policy.js';
import { decideRoute, matchRule } from '../policy/evaluate.js';
import { buildRequestFacts } from '../policy/request-facts.js';
import { createTargetResolver, type RoutingConfig } from '../policy/target-resolver.js';
import { BreakerRegistry } from '../routing/circuit-breaker.js';
import { seededRandom } from '../routing/strategies.js';
import { costUsd } from '../policy/price.js';
import { createReplayContext, policyOnlyRoutingConfig, recordedLatency } from './replay-context.js';

export interface SimulateOptions {
  readonly policy: CompiledPolicy;
  /** The daemon config's providers and models; null = the policy's endpoints as they are. */
  readonly config: RoutingConfig | null;
  /** Seed of the weighted draws (same seed, same result). */
  readonly seed: number;
  /** Time for records without `ts`. */
  readonly now: number;
}

/** Requests, cost and latency of one side (what happened, or the candidate's estimate). */
export interface Figures {
  requests: number;
  costUsd: number;
  /** Mean latency over the requests whose latency is known (null when none is). */
  meanLatencyMs: number | null;
  latencyKnown: number;
}

export interface ReportRow {
  readonly tenant: string;
  /** An endpoint name, `(refused)` for requests the candidate refuses, or `(total)`. */
  readonly endpoint: string;
  readonly actual: Figures;
  readonly simulated: Figures;
  /** (simulated − actual) / actual in %, null when the actual figure is 0 or unknown. */
  readonly costDiffPct: number | null;
  readonly latencyDiffPct: number | null;
}

export interface SimulationReport {
  readonly requests: number;
  /** Time span of the records that carry a time (null when none does). */
  readonly from: number | null;
  readonly to: number | null;
  /** Per tenant: one row per endpoint (actual or simulated), then the tenant's total. */
  readonly rows: readonly ReportRow[];
  readonly total: ReportRow;
  /** How many requests each rule matched under the candidate. */
  readonly rules: Readonly<Record<string, number>>;
  /** Requests the candidate refuses, by error code. */
  readonly refused: Readonly<Record<string, number>>;
  /** Requests whose chosen endpoint has no price (counted at $0). */
  readonly unpriced: number;
  /** Requests whose estimated latency is unknown. */
  readonly latencyUnknown: number;
}

export const REFUSED = '(refused)';
export const TOTAL = '(total)';
const UNKNOWN_ENDPOINT = '(unknown)';

interface Accumulator {
  requests: number;
  costUsd: number;
  latencySum: number;
  latencyKnown: number;
}

const empty = (): Accumulator => ({ requests: 0, costUsd: 0, latencySum: 0, latencyKnown: 0 });

function add(acc: Accumulator, cost: number, latency: number | null): void {
  acc.requests += 1;
  acc.costUsd += cost;
  if (latency !== null) {
    acc.latencySum += latency;
    acc.latencyKnown += 1;
  }
}

/**
 * Replays the traffic `records()` yields (called twice: once for the recorded latencies, once
 * to replay, so an audit trail is streamed rather than held in memory).
 */
export function simulatePolicy(records: () => Iterable<TrafficRecord>, options: SimulateOptions): SimulationReport {
  const { policy } = options;
  const resolveTarget = createTargetResolver(options.config ?? policyOnlyRoutingConfig(policy));
  const random = seededRandom(options.seed);
  const breakers = new BreakerRegistry({ now: () => options.now });

  // What each endpoint's latency really was: the median feeds ranking and the estimates.
  const observed = new Map<string, number[]>();
  const fits = new Map<string, LineFit>();
  for (const r of records()) {
    if (r.endpoint !== undefined && r.latency_ms !== undefined && (r.status === undefined || r.status < 400)) {
      let list = observed.get(r.endpoint);
      if (list === undefined) observed.set(r.endpoint, (list = []));
      list.push(r.latency_ms);
      let fit = fits.get(r.endpoint);
      if (fit === undefined) fits.set(r.endpoint, (fit = new LineFit()));
      fit.add(r.completion_tokens ?? 0, r.latency_ms);
    }
  }
  const latency = recordedLatency(observed);
  const actual = new Map<string, Map<string, Accumulator>>();
  const simulated = new Map<string, Map<string, Accumulator>>();
  const cell = (table: Map<string, Map<string, Accumulator>>, tenant: string, endpoint: string): Accumulator => {
    let row = table.get(tenant);
    if (row === undefined) table.set(tenant, (row = new Map()));
    let acc = row.get(endpoint);
    if (acc === undefined) row.set(endpoint, (acc = empty()));
    return acc;
  };
  const rules: Record<string, number> = {};
  const refused: Record<string, number> = {};
  let unpriced = 0;
  let latencyUnknown = 0;
  let from: number | null = null;
  let to: number | null = null;

  let requests = 0;
  for (const record of records()) {
    requests += 1;
    const at = typeof record.ts === 'number' ? record.ts : record.ts !== undefined ? Date.parse(record.ts) : options.now;
    if (record.ts !== undefined) {
      from = from === null ? at : Math.min(from, at);
      to = to === null ? at : Math.max(to, at);
    }
    const tenant = record.tenant ?? '';
    const prompt = record.prompt_tokens;
    const completion = record.completion_tokens ?? 0;
    const actualEndpoint = record.endpoint ?? UNKNOWN_ENDPOINT;
    add(cell(actual, tenant, actualEndpoint), record.cost_usd ?? 0, record.latency_ms ?? null);

    const ctx = createReplayContext({
      tenant: record.tenant,
      user: record.user,
      role: record.role,
      keyId: record.key_id,
      headers: record.headers,
      operation: record.operation,
      body: { model: record.model, stream: record.stream === true, ...(record.metadata ? { metadata: record.metadata } : {}) },
      at,
      dataClasses: (record.data_class === undefined ? [] : typeof record.data_class === 'string' ? [record.data_class] : record.data_class).filter(
        (name) => !policy.dataClasses.some((c) => c.name === name && c.entities !== null),
      ),
    });
    const { facts } = buildRequestFacts(ctx, policy, new Set(record.entities ?? []));
    const { rule } = matchRule(policy, facts);
    rules[rule.name] = (rules[rule.name] ?? 0) + 1;
    try {
      const decision = decideRoute(policy, facts, rule, {
        resolveTarget,
        latency,
        breakers,
        random,
        promptTokens: () => prompt,
        completionTokens: () => completion,
      });
      const target = decision.candidates[0];
      if (target === undefined) throw new Error('decideRoute returned no candidate');
      if (target.price === null) unpriced += 1;
      const estimate =
        target.endpoint === record.endpoint && record.latency_ms !== undefined
          ? record.latency_ms
          : (fits.get(target.endpoint)?.predict(completion) ?? latency.snapshot(target.endpoint).p50Ms ?? target.latencyHintMs);
      if (estimate === null) latencyUnknown += 1;
      add(cell(simulated, tenant, target.endpoint), costUsd(target.price, { promptTokens: prompt, completionTokens: completion }), estimate);
    } catch (error) {
      if (!isGatewayError(error)) throw error;
      refused[error.code] = (refused[error.code] ?? 0) + 1;
      add(cell(simulated, tenant, REFUSED), 0, null);
    }
  }

  const rows: ReportRow[] = [];
  const grand = { actual: empty(), simulated: empty() };
  for (const tenant of [...new Set([...actual.keys(), ...simulated.keys()])].sort()) {
    const a = actual.get(tenant) ?? new Map<string, Accumulator>();
    const s = simulated.get(tenant) ?? new Map<string, Accumulator>();
    const totals = { actual: empty(), simulated: empty() };
    for (const endpoint of [...new Set([...a.keys(), ...s.keys()])].sort()) {
      const av = a.get(endpoint) ?? empty();
      const sv = s.get(endpoint) ?? empty();
      merge(totals.actual, av);
      merge(totals.simulated, sv);
      rows.push(row(tenant, endpoint, av, sv));
    }
    rows.push(row(tenant, TOTAL, totals.actual, totals.simulated));
    merge(grand.actual, totals.actual);
    merge(grand.simulated, totals.simulated);
  }
  return {
    requests,
    from,
    to,
    rows,
    total: row('', TOTAL, grand.actual, grand.simulated),
    rules,
    refused,
    unpriced,
    latencyUnknown,
  };
}

function merge(into: Accumulator, from: Accumulator): void {
  into.requests += from.requests;
  into.costUsd += from.costUsd;
  into.latencySum += from.latencySum;
  into.latencyKnown += from.latencyKnown;
}

function figures(acc: Accumulator): Figures {
  return {
    requests: acc.requests,
    costUsd: acc.costUsd,
    meanLatencyMs: acc.latencyKnown === 0 ? null : acc.latencySum / acc.latencyKnown,
    latencyKnown: acc.latencyKnown,
  };
}

function diffPct(actual: number | null, simulated: number | null): number | null {
  if (actual === null || simulated === null || actual === 0) return null;
  return ((simulated - actual) / actual) * 100;
}

function row(tenant: string, endpoint: string, a: Accumulator, s: Accumulator): ReportRow {
  const actual = figures(a);
  const simulated = figures(s);
  return {
    tenant,
    endpoint,
    actual,
    simulated,
    costDiffPct: diffPct(actual.costUsd, simulated.costUsd),
    latencyDiffPct: diffPct(actual.meanLatencyMs, simulated.meanLatencyMs),
  };
}

/**
 * Ordinary least squares of latency on completion tokens, kept as running sums. Predicts only
 * from 10 samples of varied lengths, with the intercept and slope clamped at 0 (a noisy fit
 * must not predict negative times).
 */
export class LineFit {
  private n = 0;
  private sumX = 0;
  private sumY = 0;
  private sumXX = 0;
  private sumXY = 0;

  add(x: number, y: number): void {
    this.n += 1;
    this.sumX += x;
    this.sumY += y;
    this.sumXX += x * x;
    this.sumXY += x * y;
  }

  predict(x: number): number | null {
    if (this.n < 10) return null;
    const variance = this.n * this.sumXX - this.sumX * this.sumX;
    if (variance <= 1e-9 * this.n * this.sumXX) return null;
    const slope = Math.max(0, (this.n * this.sumXY - this.sumX * this.sumY) / variance);
    const intercept = Math.max(0, (this.sumY - slope * this.sumX) / this.n);
    return intercept + slope * x;
  }
}
