// Rule evaluation: which rule a request matches (first match wins, then `default`), and the
// ordered candidate targets that rule yields, with the on-prem guard applied. The hot path
// (matchRule) only runs precompiled predicates; scoring runs only for `strategy` rules.
import { GatewayError } from '../../shared/errors.js';
import type { Price } from '../../shared/schemas/price.js';
import type { Target } from '../pipeline/context.js';
import type { BreakerRegistry, BreakerState } from '../routing/circuit-breaker.js';
import type { LatencyTracker } from '../routing/latency-tracker.js';
import { drawWeighted, rankCandidates, type ScoredCandidate } from '../routing/strategies.js';
import { REQUESTED_MODEL, type CompiledPolicy, type CompiledRule } from './compile-policy.js';
import type { RequestFacts } from './conditions.js';

/** A target with what routing needs to know about it. */
export interface ResolvedTarget extends Target {
  readonly price: Price | null;
  /** True only for policy endpoints marked on_prem (and not contradicted by the config). */
  readonly onPrem: boolean;
  readonly latencyHintMs: number | null;
}

export interface RuleMatch {
  readonly rule: CompiledRule;
  /** How many rules were tested (the default counts as one when reached). */
  readonly rulesEvaluated: number;
}

/** First matching rule, else the default. Allocation-free apart from the result. */
export function matchRule(policy: CompiledPolicy, facts: RequestFacts): RuleMatch {
  const rules = policy.rules;
  for (let i = 0; i < rules.length; i += 1) {
    const rule = rules[i] as CompiledRule;
    const conditions = rule.conditions;
    let ok = true;
    for (let j = 0; j < conditions.length; j += 1) {
      if (!(conditions[j] as (typeof conditions)[number]).test(facts)) {
        ok = false;
        break;
      }
    }
    if (ok) return { rule, rulesEvaluated: i + 1 };
  }
  return { rule: policy.defaultRule, rulesEvaluated: rules.length + 1 };
}

export interface RuleExplanation {
  readonly rule: string;
  readonly matched: boolean;
  readonly conditions: readonly { readonly condition: string; readonly result: boolean }[];
}

/** Every rule up to the match with every condition's result (for `kagami policy explain`). */
export function explainRules(policy: CompiledPolicy, facts: RequestFacts): RuleExplanation[] {
  const out: RuleExplanation[] = [];
  for (const rule of policy.rules) {
    const conditions = rule.conditions.map((c) => ({ condition: c.label, result: c.test(facts) }));
    const matched = conditions.every((c) => c.result);
    out.push({ rule: rule.name, matched, conditions });
    if (matched) return out;
  }
  out.push({ rule: 'default', matched: true, conditions: [] });
  return out;
}

export interface RoutingEnvironment {
  /** Resolves an endpoint name (or $requested) to a target; null when it cannot be served here. */
  readonly resolveTarget: (policy: CompiledPolicy, name: string, requestedModel: string) => ResolvedTarget | null;
  /** Live latency per endpoint (the tools pass recorded figures in the same shape). */
  readonly latency: Pick<LatencyTracker, 'snapshot'>;
  readonly breakers: BreakerRegistry;
  readonly random: () => number;
  /** Prompt tokens (real tokenizer), computed only when a strategy needs costs. */
  readonly promptTokens: () => number;
  readonly completionTokens: () => number;
}

export interface CandidateReport {
  readonly endpoint: string;
  readonly provider: string;
  readonly model: string;
  readonly onPrem: boolean;
  readonly breaker: BreakerState;
  readonly score?: number;
  readonly costUsd?: number;
  readonly latencyMs?: number | null;
  readonly withinSlo?: boolean;
}

export interface RouteDecision {
  /** Attempt order: each target once, then the rule's retries going round again. */
  readonly candidates: ResolvedTarget[];
  readonly report: CandidateReport[];
  /** Targets the rule named that cannot be used, with the reason. */
  readonly dropped: { readonly endpoint: string; readonly reason: string }[];
  /** Why only on-prem endpoints may serve this request (null when unrestricted). */
  readonly onPremReason: string | null;
}

/**
 * The ordered candidates for a matched rule. Throws GatewayError for deny, a model the rule
 * does not allow, and an on-prem-only request with no on-prem target (fail closed).
 */
export function decideRoute(policy: CompiledPolicy, facts: RequestFacts, rule: CompiledRule, env: RoutingEnvironment): RouteDecision {
  const action = rule.action;
  if (action.denyMessage !== null) {
    throw new GatewayError('policy_denied', `${action.denyMessage} (policy rule "${rule.name}")`);
  }
  if (!action.isModelAllowed(facts.model)) {
    throw new GatewayError(
      'model_not_allowed',
      `model "${facts.model}" is not allowed by policy rule "${rule.name}" (allowed: ${(action.allowedModels ?? []).join(', ')})`,
      { param: 'model' },
    );
  }

  let names: string[];
  let scores: ScoredCandidate[] | null = null;
  if (action.kind === 'weighted') {
    names = drawWeighted(action.weighted, action.totalWeight, env.random);
  } else if (action.kind === 'strategy' && action.strategy !== null) {
    const strategy = action.strategy;
    const resolved = strategy.targets.map((name) => [name, env.resolveTarget(policy, name, facts.model)] as const);
    const slo = minOrNull(strategy.sloMs, facts.latencyBudgetMs);
    scores = rankCandidates(
      strategy.type,
      resolved.flatMap(([name, target]) => {
        if (target === null) return [];
        const snapshot = env.latency.snapshot(target.endpoint);
        return [{
          endpoint: name,
          price: target.price,
          latencyMs: snapshot.ewmaMs ?? target.latencyHintMs,
          p95Ms: snapshot.samples >= 5 ? snapshot.p95Ms : null,
          available: env.breakers.isAvailable(target.endpoint),
        }];
      }),
      {
        promptTokens: strategy.type === 'fastest' ? 0 : env.promptTokens(),
        completionTokens: strategy.type === 'fastest' ? 0 : env.completionTokens(),
        latencyWeight: strategy.latencyWeight,
        sloMs: slo,
      },
    );
    // Targets that cannot be resolved are not ranked; listing them gets them reported as dropped.
    names = scores.map((s) => s.endpoint).concat(resolved.filter(([, target]) => target === null).map(([name]) => name));
  } else {
    names = action.routeTo === null ? [] : [action.routeTo];
  }
  for (const name of action.fallback) names.push(name);

  const onPremReason = onPremRestriction(policy, facts, rule);
  const candidates: ResolvedTarget[] = [];
  const dropped: { endpoint: string; reason: string }[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) continue;
    seen.add(name);
    const target = env.resolveTarget(policy, name, facts.model);
    if (target === null) {
      dropped.push({ endpoint: name, reason: name === REQUESTED_MODEL ? `model "${facts.model}" is not configured` : 'its provider is not configured' });
    } else if (onPremReason !== null && !target.onPrem) {
      dropped.push({ endpoint: name, reason: 'not on_prem' });
    } else {
      candidates.push(target);
    }
  }
  if (candidates.length === 0) {
    if (onPremReason !== null) {
      throw new GatewayError('upstream_unavailable', `${onPremReason}; no on-prem endpoint is configured for it (failing closed)`);
    }
    if (names.length === 1 && names[0] === REQUESTED_MODEL) {
      throw new GatewayError('model_not_found', `The model \`${facts.model}\` does not exist or you do not have access to it.`, { param: 'model' });
    }
    throw new GatewayError('upstream_unavailable', `policy rule "${rule.name}" has no usable endpoint (${dropped.map((d) => `${d.endpoint}: ${d.reason}`).join('; ')})`);
  }

  // Open breakers go last (forwardUpstream skips them anyway): healthy targets first.
  const ordered = candidates.filter((c) => env.breakers.isAvailable(c.endpoint)).concat(candidates.filter((c) => !env.breakers.isAvailable(c.endpoint)));
  const scoreByName = new Map((scores ?? []).map((s) => [s.endpoint, s]));
  const report = ordered.map((c): CandidateReport => {
    const s = scoreByName.get(c.endpoint);
    return {
      endpoint: c.endpoint,
      provider: c.provider,
      model: c.upstreamModel,
      onPrem: c.onPrem,
      breaker: env.breakers.stateOf(c.endpoint),
      ...(s ? { score: s.score, costUsd: s.costUsd, latencyMs: s.latencyMs, withinSlo: s.withinSlo } : {}),
    };
  });
  // Retries go round the list again; forwardUpstream backs off before re-trying an endpoint.
  const attempts = ordered.slice();
  for (let i = 0; i < action.retries; i += 1) attempts.push(ordered[i % ordered.length] as ResolvedTarget);
  return { candidates: attempts, report, dropped, onPremReason };
}

/** Why the request may only go on-prem: the rule says so, or it carries an on_prem_only class. */
export function onPremRestriction(policy: CompiledPolicy, facts: RequestFacts, rule: CompiledRule): string | null {
  const where = `policy ${policy.fileName} (version ${policy.version})`;
  if (rule.action.onPremOnly) return `${where} rule "${rule.name}" allows only on-prem endpoints`;
  for (const dataClass of policy.dataClasses) {
    if (dataClass.onPremOnly && facts.dataClasses.has(dataClass.name)) {
      return `${where}: data class "${dataClass.name}" may only be sent to on-prem endpoints`;
    }
  }
  return null;
}

function minOrNull(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}
