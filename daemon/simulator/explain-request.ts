// `kagami policy explain`: one request through the policy, step by step. The same functions the
// applyPolicy stage runs (buildRequestFacts, explainRules, decideRoute) produce a structured
// account: the facts rules saw, every rule tested up to the match with each condition's
// result, the matched rule's action, the candidates with their scores, and the chosen
// endpoint, or why the request would be refused.
import { isGatewayError } from '../../shared/errors.js';
import type { ExplainRequest } from '../../shared/schemas/policy-tools.js';
import type { JsonObject, RequestContext } from '../pipeline/context.js';
import type { CompiledPolicy } from '../policy/compile-policy.js';
import { decideRoute, explainRules, matchRule, type CandidateReport, type RuleExplanation } from '../policy/evaluate.js';
import { buildRequestFacts } from '../policy/request-facts.js';
import { createTargetResolver, type RoutingConfig } from '../policy/target-resolver.js';
import { BreakerRegistry } from '../routing/circuit-breaker.js';
import { costUsd } from '../policy/price.js';
import { estimatePromptTokens, expectedCompletionTokens } from '../routing/token-estimate.js';
import { createReplayContext, policyOnlyRoutingConfig, recordedLatency } from './replay-context.js';

export interface ExplainDeps {
  readonly policy: CompiledPolicy;
  /** The daemon config's providers and models; null = take the policy's endpoints as they are. */
  readonly config: RoutingConfig | null;
  /** Finds PII entity types in the request (the redaction engine); null = none is looked for. */
  readonly piiScanner: { entityTypes(ctx: RequestContext): Promise<ReadonlySet<string>> } | null;
  readonly random: () => number;
  readonly now: number;
}

export interface Explanation {
  readonly facts: {
    readonly tenant: string;
    readonly user: string;
    readonly role: string | null;
    readonly model: string;
    readonly operation: string;
    readonly stream: boolean;
    readonly dataClasses: readonly string[];
    readonly ignoredDataClasses: readonly string[];
    readonly entityTypes: readonly string[];
    readonly latencyBudgetMs: number | null;
    readonly costCapPer1k: number | null;
    readonly at: string;
  };
  /** Every rule tested, in order, up to and including the match (`default` when none matched). */
  readonly rules: readonly (RuleExplanation & { readonly index: number })[];
  readonly matched: { readonly rule: string; readonly index: number };
  readonly action: {
    readonly kind: string;
    readonly targets: readonly string[];
    readonly weights?: readonly { readonly endpoint: string; readonly share: number }[];
    /** effectiveSloMs: the tighter of the rule's slo_ms and the request's latency budget. */
    readonly strategy?: { readonly type: string; readonly latencyWeight: number; readonly sloMs: number | null; readonly effectiveSloMs: number | null };
    readonly fallback: readonly string[];
    readonly retries: number;
    readonly maxTokens: number | null;
    readonly allowedModels: readonly string[] | null;
    readonly cacheTtlS: number | null;
  };
  readonly tokens: { readonly prompt: number; readonly completion: number };
  readonly outcome:
    | {
        readonly kind: 'routed';
        readonly chosen: string;
        readonly candidates: readonly CandidateReport[];
        /** Every attempt in order (retries included). */
        readonly attempts: readonly string[];
        readonly dropped: readonly { readonly endpoint: string; readonly reason: string }[];
        readonly onPremReason: string | null;
      }
    | { readonly kind: 'refused'; readonly status: number; readonly code: string; readonly message: string };
}

export async function explainRequest(request: ExplainRequest, deps: ExplainDeps): Promise<Explanation> {
  const { policy } = deps;
  const at = request.at === undefined ? deps.now : Date.parse(request.at);
  const ctx = createReplayContext({
    tenant: request.tenant,
    user: request.user,
    role: request.role,
    keyId: request.key_id,
    headers: request.headers,
    operation: request.operation,
    body: request.body as JsonObject & { model: string },
    at,
    dataClasses: request.data_class === undefined ? [] : typeof request.data_class === 'string' ? [request.data_class] : request.data_class,
  });
  const entityTypes = policy.entityTypes.size > 0 && deps.piiScanner !== null ? await deps.piiScanner.entityTypes(ctx) : new Set<string>();
  const { facts, ignoredDeclarations } = buildRequestFacts(ctx, policy, entityTypes);
  const explained = explainRules(policy, facts);
  const { rule } = matchRule(policy, facts);
  const action = rule.action;

  // Latencies the request file gives stand in for the daemon's live measurements.
  const latency = recordedLatency(new Map(Object.entries(request.latency_ms ?? {}).map(([endpoint, ms]) => [endpoint, Array<number>(5).fill(ms)])));
  // What a cost ranking would use: the real tokenizer's prompt count and the expected completion.
  const tokens = { prompt: estimatePromptTokens(ctx.request.body), completion: expectedCompletionTokens(ctx.request.body) };

  let outcome: Explanation['outcome'];
  try {
    const decision = decideRoute(policy, facts, rule, {
      resolveTarget: createTargetResolver(deps.config ?? policyOnlyRoutingConfig(policy)),
      latency,
      breakers: new BreakerRegistry({ now: () => deps.now }),
      random: deps.random,
      promptTokens: () => tokens.prompt,
      completionTokens: () => tokens.completion,
    });
    outcome = {
      kind: 'routed',
      chosen: decision.candidates[0]?.endpoint ?? '',
      // Rules without a strategy are not scored; the expected cost and latency still help.
      candidates: decision.report.map((c) => {
        if (c.costUsd !== undefined) return c;
        const target = decision.candidates.find((t) => t.endpoint === c.endpoint);
        const latencyMs = latency.snapshot(c.endpoint).ewmaMs ?? target?.latencyHintMs ?? null;
        return { ...c, costUsd: costUsd(target?.price, { promptTokens: tokens.prompt, completionTokens: tokens.completion }), latencyMs };
      }),
      attempts: decision.candidates.map((c) => c.endpoint),
      dropped: decision.dropped,
      onPremReason: decision.onPremReason,
    };
  } catch (error) {
    if (!isGatewayError(error)) throw error;
    outcome = { kind: 'refused', status: error.status, code: error.code, message: error.message };
  }

  const weightTotal = action.totalWeight;
  return {
    facts: {
      tenant: facts.tenant,
      user: facts.user,
      role: facts.role,
      model: facts.model,
      operation: facts.operation,
      stream: facts.stream,
      dataClasses: [...facts.dataClasses],
      ignoredDataClasses: ignoredDeclarations,
      entityTypes: [...entityTypes],
      latencyBudgetMs: facts.latencyBudgetMs,
      costCapPer1k: facts.costCapPer1k,
      at: new Date(at).toISOString(),
    },
    rules: explained.map((r, i) => ({ ...r, index: i < policy.rules.length ? i : -1 })),
    matched: { rule: rule.name, index: rule.index },
    action: {
      kind: action.kind,
      targets: action.routeTo !== null ? [action.routeTo] : action.kind === 'weighted' ? action.weighted.map((w) => w.endpoint) : (action.strategy?.targets ?? []),
      ...(action.kind === 'weighted' ? { weights: action.weighted.map((w) => ({ endpoint: w.endpoint, share: w.weight / weightTotal })) } : {}),
      ...(action.strategy
        ? {
            strategy: {
              type: action.strategy.type,
              latencyWeight: action.strategy.latencyWeight,
              sloMs: action.strategy.sloMs,
              effectiveSloMs: tighter(action.strategy.sloMs, facts.latencyBudgetMs),
            },
          }
        : {}),
      fallback: action.fallback,
      retries: action.retries,
      maxTokens: action.maxTokens,
      allowedModels: action.allowedModels,
      cacheTtlS: action.cacheTtlS,
    },
    tokens,
    outcome,
  };
}

function tighter(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}
