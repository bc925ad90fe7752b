// The policy stage: which rule the request matches and where it may go. It reads the live
// policy once, classifies the request (data classes), evaluates the rules (first match wins),
// applies the rule's deny / allowed models / max_tokens cap and the policy's redaction actions
// (redactPrompt applies them), and puts the ordered candidate targets in ctx.candidates for
// forwardUpstream. With no policy loaded it does nothing and selectRoute resolves the model
// alias from the config.
//
// The on-prem guard fails closed: a request that carries an on_prem_only data class (or
// matched an on_prem_only rule) only ever gets on-prem candidates, and when they all fail the
// client gets 503 upstream_unavailable naming the policy; never a cloud fallback.
import { GatewayError, isGatewayError } from '../../shared/errors.js';
import { ENTITY_TYPES, type EntityType, type RedactionAction } from '../../shared/schemas/redaction.js';
import type { CompiledPolicy } from '../policy/compile-policy.js';
import { setDecision } from '../policy/decision.js';
import { decideRoute, matchRule, type RouteDecision } from '../policy/evaluate.js';
import type { PolicyRuntime } from '../policy/policy-runtime.js';
import { buildRequestFacts } from '../policy/request-facts.js';
import { setRedactionActions } from '../redaction/scanner.js';
import type { RoutingAnnotation } from '../routing/attempt-policy.js';
import { estimatePromptTokens, expectedCompletionTokens } from '../routing/token-estimate.js';
import type { JsonObject, Outcome, RequestContext, Stage } from './context.js';
import type { LimitsAnnotation } from './enforce-limits.js';
import type { RouteAnnotation } from './forward-upstream.js';
import type { CacheAnnotation } from './serve-from-cache.js';

export interface ApplyPolicyDeps {
  /** Absent: no policy area in this daemon (the stage passes requests through). */
  readonly policyRuntime?: PolicyRuntime;
  /**
   * The redaction engine's memoized per-request scanner (shared with redactPrompt, so the
   * prompt is scanned once). Only asked when the policy defines entity-based data classes.
   */
  readonly piiScanner?: { entityTypes(ctx: RequestContext): Promise<ReadonlySet<string>> };
}

/** ctx.annotations.policy: what the audit row records about the decision. */
export interface PolicyAnnotation {
  policy: { file: string; version: number; sha256: string };
  rule: string;
  ruleIndex: number;
  rulesEvaluated: number;
  /** The matched rule's conditions (all held). */
  conditions: string[];
  dataClasses: string[];
  ignoredDataClasses?: string[];
  onPremOnly: string | null;
  candidates: RouteDecision['report'];
  dropped: RouteDecision['dropped'];
  maxTokensCap: number | null;
  denied?: string;
  /** Set when the request ends (see recordOutcome). */
  outcome?: {
    endpoint: string | null;
    attempts: RoutingAnnotation['attempts'];
    skipped: RoutingAnnotation['skipped'];
    breakerStates: RoutingAnnotation['breakerStates'];
    fallbacksTried: string[];
    backoffMs?: number[];
    retryBudgetExhausted?: boolean;
    costUsd: number | null;
    limits?: LimitsAnnotation;
    cache?: CacheAnnotation;
  };
}

const NO_ENTITIES: ReadonlySet<string> = new Set();
const FAIL_CLOSED_CODES = new Set(['upstream_error', 'upstream_timeout', 'upstream_unavailable', 'capability_missing', 'internal_error']);

export function createApplyPolicy(deps: ApplyPolicyDeps): Stage {
  const runtime = deps.policyRuntime;
  const applyPolicyActive: Stage = async function applyPolicyActive(ctx, next) {
    const policy = runtime?.holder.current() ?? null;
    if (runtime === undefined || policy === null) return next();

    let entityTypes = NO_ENTITIES;
    if (policy.entityTypes.size > 0) {
      if (deps.piiScanner === undefined) {
        // Cannot tell whether the prompt carries restricted data: refuse rather than guess.
        throw new GatewayError('internal_error', `policy ${policy.fileName} classifies requests by PII, but no PII scanner is available`);
      }
      try {
        entityTypes = await deps.piiScanner.entityTypes(ctx);
      } catch (cause) {
        // A refusal the scanner chose (a text over the Japanese size cap: 413) stays what it is.
        if (isGatewayError(cause)) throw cause;
        throw new GatewayError('internal_error', 'the request could not be classified for the policy (PII scan failed)', { cause });
      }
    }
    const { facts, ignoredDeclarations } = buildRequestFacts(ctx, policy, entityTypes, runtime.routing.now());
    const { rule, rulesEvaluated } = matchRule(policy, facts);
    const annotation: PolicyAnnotation = {
      policy: { file: policy.fileName, version: policy.version, sha256: policy.sha256 },
      rule: rule.name,
      ruleIndex: rule.index,
      rulesEvaluated,
      conditions: rule.conditions.map((c) => c.label),
      dataClasses: [...facts.dataClasses],
      onPremOnly: null,
      candidates: [],
      dropped: [],
      maxTokensCap: rule.action.maxTokens,
    };
    if (ignoredDeclarations.length > 0) annotation.ignoredDataClasses = [...ignoredDeclarations];
    ctx.annotations.policy = annotation;

    let promptTokens: number | undefined;
    const countPromptTokens = (): number => (promptTokens ??= estimatePromptTokens(ctx.request.body));
    let decision: RouteDecision;
    try {
      decision = decideRoute(policy, facts, rule, {
        resolveTarget: runtime.resolveTarget,
        latency: runtime.routing.latency,
        breakers: runtime.routing.breakers,
        random: runtime.routing.random,
        promptTokens: countPromptTokens,
        completionTokens: () => expectedCompletionTokens(ctx.request.body),
      });
    } catch (error) {
      if (isGatewayError(error) && error.code === 'policy_denied') annotation.denied = error.message;
      throw error;
    }
    annotation.onPremOnly = decision.onPremReason;
    annotation.candidates = decision.report;
    annotation.dropped = decision.dropped;
    if (rule.action.maxTokens !== null) capMaxTokens(ctx, rule.action.maxTokens);
    const redactionActions = teamRedactionActions(policy);
    if (redactionActions !== null) setRedactionActions(ctx, redactionActions);
    ctx.candidates = decision.candidates.slice();
    setDecision(ctx, {
      policy,
      rule,
      candidates: decision.candidates,
      onPremReason: decision.onPremReason,
      promptTokens: countPromptTokens,
    });

    let outcome: Outcome;
    try {
      outcome = await next();
    } catch (error) {
      recordOutcome(ctx, annotation);
      if (decision.onPremReason === null || !isGatewayError(error) || !FAIL_CLOSED_CODES.has(error.code)) throw error;
      const names = [...new Set(decision.candidates.map((c) => c.endpoint))].join(', ');
      throw new GatewayError('upstream_unavailable', `${decision.onPremReason}; on-prem endpoint(s) ${names} unavailable (${error.message}). Not sent to any cloud endpoint.`, {
        cause: error,
        headers: error.headers,
      });
    }
    if (outcome.kind === 'json') {
      recordOutcome(ctx, annotation);
      return outcome;
    }
    return { ...outcome, events: recordOutcomeAfter(outcome.events, () => recordOutcome(ctx, annotation)) };
  };

  // With no policy: hand on at once, without an async frame, promise and closures per request
  // (allocation on the request path; applyPolicyActive makes the same check).
  return function applyPolicy(ctx, next) {
    if (runtime === undefined || runtime.holder.current() === null) return next();
    return applyPolicyActive(ctx, next);
  };
}

/**
 * Completes the audit row's decision with what happened after it: the endpoint that answered,
 * every attempt and breaker state, fallbacks, cost, limits and cache. The later stages record
 * these under their own keys; the audit row's `decision` is this annotation.
 */
function recordOutcome(ctx: RequestContext, annotation: PolicyAnnotation): void {
  const routing = ctx.annotations.routing as RoutingAnnotation | undefined;
  const route = ctx.annotations.route as RouteAnnotation | undefined;
  annotation.outcome = {
    endpoint: ctx.target?.endpoint ?? null,
    attempts: routing?.attempts ?? [],
    skipped: routing?.skipped ?? [],
    breakerStates: routing?.breakerStates ?? {},
    fallbacksTried: route?.fallbacksTried ?? [],
    ...(routing?.backoffMs !== undefined ? { backoffMs: routing.backoffMs } : {}),
    ...(routing?.retryBudgetExhausted === true ? { retryBudgetExhausted: true } : {}),
    costUsd: ctx.costUsd ?? null,
    ...(ctx.annotations.limits !== undefined ? { limits: ctx.annotations.limits as LimitsAnnotation } : {}),
    ...(ctx.annotations.cache !== undefined ? { cache: ctx.annotations.cache as CacheAnnotation } : {}),
  };
}

/** Streams: the outcome is known when the stream ends (before recordAudit writes the row). */
async function* recordOutcomeAfter(events: AsyncIterable<JsonObject>, record: () => void): AsyncIterable<JsonObject> {
  try {
    yield* events;
  } finally {
    record();
  }
}

const redactionActionsByPolicy = new WeakMap<CompiledPolicy, Partial<Record<EntityType, RedactionAction>> | null>();

/**
 * The policy's `redaction:` actions (per entity type, and `default_action` for the types it
 * does not list), which replace the config's for requests under this policy: the team decides
 * what leaves the machine. Computed once per policy.
 */
function teamRedactionActions(policy: CompiledPolicy): Partial<Record<EntityType, RedactionAction>> | null {
  let actions = redactionActionsByPolicy.get(policy);
  if (actions === undefined) {
    const spec = policy.document.redaction;
    const out: Partial<Record<EntityType, RedactionAction>> = {};
    for (const type of ENTITY_TYPES) {
      const action = spec?.entities?.[type]?.action ?? spec?.default_action;
      if (action !== undefined) out[type] = action;
    }
    actions = Object.keys(out).length > 0 ? out : null;
    redactionActionsByPolicy.set(policy, actions);
  }
  return actions;
}

/** Caps max_tokens / max_completion_tokens at the rule's limit, setting it when absent. */
function capMaxTokens(ctx: RequestContext, cap: number): void {
  if (ctx.request.op === 'embedding') return;
  const body = ctx.request.body;
  let capped = false;
  for (const field of ['max_tokens', 'max_completion_tokens'] as const) {
    const value = body[field];
    if (typeof value === 'number') {
      if (value > cap) body[field] = cap;
      capped = true;
    }
  }
  if (!capped) body.max_tokens = cap;
}

