// Limits and budgets, after the policy chose a rule and before anything is sent. Rate limits:
// token buckets per tenant / user / model / key (policy `limits`), 429 rate_limit_exceeded
// with retry-after; every response carries OpenAI's x-ratelimit-* headers for the tightest
// limit. Budgets: spend caps per tenant / key per day and month (policy `budgets`), 429
// budget_exceeded past a cap, x-kagami-budget-warning past the soft share. After the answer
// (for streams: when the stream ends) the real usage settles the token buckets and its cost
// (usage × the answering endpoint's price) is added to the spend.
import { GatewayError, isGatewayError } from '../../shared/errors.js';
import { getDecision } from '../policy/decision.js';
import type { PolicyRuntime } from '../policy/policy-runtime.js';
import { formatResetDuration, type Admission } from '../policy/rate-limiter.js';
import { costUsd } from '../policy/price.js';
import { estimatePromptTokens, expectedCompletionTokens } from '../routing/token-estimate.js';
import type { JsonObject, Outcome, Stage } from './context.js';

export interface EnforceLimitsDeps {
  readonly policyRuntime?: PolicyRuntime;
}

/** ctx.annotations.limits */
export interface LimitsAnnotation {
  refusedBy?: string;
  budgetWarnings?: string[];
  reservedTokens?: number;
  /** The upstream reported no usage: tokens were counted by the gateway. */
  usageEstimated?: boolean;
}

export function createEnforceLimits(deps: EnforceLimitsDeps): Stage {
  const runtime = deps.policyRuntime;
  const enforceLimitsActive: Stage = async function enforceLimitsActive(ctx, next) {
    const decision = getDecision(ctx);
    if (runtime === undefined || decision === undefined) return next();
    const { policy } = decision;
    const principal = ctx.principal;
    const subject = { tenant: principal?.tenant ?? '', user: principal?.user ?? '', keyId: principal?.keyId ?? '', model: ctx.request.body.model };
    const annotation: LimitsAnnotation = {};
    ctx.annotations.limits = annotation;

    // Budgets first: a request refused for money does not use up rate-limit capacity.
    let budget;
    try {
      budget = runtime.budgets.check(policy, subject, () => {
        const first = decision.candidates[0];
        return first === undefined ? 0 : costUsd(first.price, { promptTokens: decision.promptTokens(), completionTokens: expectedCompletionTokens(ctx.request.body) });
      });
    } catch (error) {
      if (isGatewayError(error)) annotation.refusedBy = error.message;
      throw error;
    }

    // Tokens a request may use: its prompt plus what it may generate.
    const admission = runtime.limiter.admit(policy, subject, () => decision.promptTokens() + expectedCompletionTokens(ctx.request.body));
    setRateLimitHeaders(ctx.responseHeaders, admission);
    if (!admission.allowed) {
      runtime.budgets.release(budget.hold);
      annotation.refusedBy = admission.refusedBy ?? undefined;
      const retryAfterS = Math.max(1, Math.ceil(admission.retryAfterMs / 1000));
      throw new GatewayError('rate_limit_exceeded', `Rate limit reached for ${admission.refusedBy}. Please try again in ${retryAfterS}s.`, {
        headers: { ...ctx.responseHeaders, 'retry-after': String(retryAfterS), 'retry-after-ms': String(Math.ceil(admission.retryAfterMs)) },
      });
    }
    if (admission.reservations.length > 0) annotation.reservedTokens = admission.reservations[0]?.tokens;

    if (budget.warnings.length > 0) {
      annotation.budgetWarnings = budget.warnings.map((w) => `${w.scope} ${w.subject} ${w.window} ${Math.round(w.ratio * 100)}% of $${w.capUsd}`);
      ctx.responseHeaders['x-kagami-budget-warning'] = annotation.budgetWarnings.join('; ');
    }

    // forwardUpstream gets every answer's usage (streams included, counted by the tokenizer when
    // the upstream reports none); this stage settles limits and budgets with it.
    let settled = false;
    /** Answer text, counted only when the upstream reports no usage. */
    let streamedText = '';
    const settle = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      runtime.budgets.release(budget.hold);
      const cacheHit = (ctx.annotations.cache as { hit?: boolean } | undefined)?.hit === true;
      let usage = ctx.usage;
      if (usage?.estimated === true) annotation.usageEstimated = true;
      if (usage === undefined && (ok || streamedText !== '') && ctx.target !== undefined && !cacheHit) {
        // No usage reported (an upstream that never does, a stream cut short): charge what it was
        // sent and what it answered, counted with the tokenizer.
        const promptTokens = decision.promptTokens();
        const completionTokens = streamedText === '' ? 0 : estimatePromptTokens({ prompt: streamedText });
        usage = { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
        annotation.usageEstimated = true;
      }
      // A cached answer costs no upstream tokens and no money; a failed one only what was used.
      runtime.limiter.settle(admission.reservations, cacheHit ? 0 : (usage?.totalTokens ?? 0));
      if (usage === undefined || ctx.target === undefined || cacheHit) return;
      const target = decision.candidates.find((c) => c.endpoint === ctx.target?.endpoint);
      if (ctx.costUsd === undefined && target !== undefined) ctx.costUsd = costUsd(target.price, usage);
      if (ctx.costUsd !== undefined && ctx.costUsd > 0) runtime.budgets.record(subject, ctx.costUsd);
    };

    let outcome: Outcome;
    try {
      outcome = await next();
    } catch (error) {
      settle(false);
      throw error;
    }
    if (outcome.kind === 'json') {
      if (ctx.usage === undefined && Array.isArray(outcome.body.choices)) {
        for (const choice of outcome.body.choices as { message?: { content?: unknown }; text?: unknown }[]) {
          const text = choice.message?.content ?? choice.text;
          if (typeof text === 'string') streamedText += text;
        }
      }
      settle(outcome.status < 400);
      return outcome;
    }
    const events = outcome.events;
    async function* settleAfterStream(): AsyncIterable<JsonObject> {
      let ok = false;
      try {
        for await (const chunk of events) {
          const choices = chunk.choices;
          if (Array.isArray(choices)) {
            for (const choice of choices as { delta?: { content?: unknown } }[]) {
              if (typeof choice.delta?.content === 'string') streamedText += choice.delta.content;
            }
          }
          yield chunk;
        }
        ok = true;
      } finally {
        settle(ok);
      }
    }
    return { ...outcome, events: settleAfterStream() };
  };

  // With no policy decision: hand on at once, without an async frame, promise and closures per request
  // (allocation on the request path; enforceLimitsActive makes the same check).
  return function enforceLimits(ctx, next) {
    if (runtime === undefined || getDecision(ctx) === undefined) return next();
    return enforceLimitsActive(ctx, next);
  };
}

function setRateLimitHeaders(headers: Record<string, string>, admission: Admission): void {
  if (admission.requests !== null) {
    headers['x-ratelimit-limit-requests'] = String(admission.requests.limit);
    headers['x-ratelimit-remaining-requests'] = String(admission.requests.remaining);
    headers['x-ratelimit-reset-requests'] = formatResetDuration(admission.requests.resetMs);
  }
  if (admission.tokens !== null) {
    headers['x-ratelimit-limit-tokens'] = String(admission.tokens.limit);
    headers['x-ratelimit-remaining-tokens'] = String(admission.tokens.remaining);
    headers['x-ratelimit-reset-tokens'] = formatResetDuration(admission.tokens.resetMs);
  }
}
