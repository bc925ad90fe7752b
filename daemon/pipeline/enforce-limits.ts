// Limits and budgets, after the policy chose a rule and before anything is sent. Rate limits:
// token buckets per tenant / user / model / key (policy `limits`), 429 rate_limit_exceeded
// with retry-after; every response carries OpenAI's x-ratelimit-* headers for the tightest
// limit. Budgets: spend caps per tenant / key per day and month (policy `budgets`), 429
// budget_exceeded past a cap, x-kagami-budget-warning past the soft share. After the answer
// (for streams: when the stream ends) the real usage settles the token buckets and its cost
// (usage × the answering endpoint's price) is added to the spend.
import { GatewayError } from '../../shared/errors.js';
import { getDecision } from '../policy/decision.js';
import type { PolicyRuntime } from '../policy/policy-runtime.js';
import { formatResetDuration, type Admission } from '../policy/rate-limiter.js';
import { costUsd, expectedCompletionTokens } from '../routing/token-estimate.js';
import type { JsonObject, Outcome, Stage } from './context.js';

export interface EnforceLimitsDeps {
  readonly policyRuntime?: PolicyRuntime;
}

/** ctx.annotations.limits */
export interface LimitsAnnotation {
  refusedBy?: string;
  budgetWarnings?: string[];
  reservedTokens?: number;
}

export function createEnforceLimits(deps: EnforceLimitsDeps): Stage {
  const runtime = deps.policyRuntime;
  return async function enforceLimits(ctx, next) {
    const decision = getDecision(ctx);
    if (runtime === undefined || decision === undefined) return next();
    const { policy } = decision;
    const principal = ctx.principal;
    const subject = { tenant: principal?.tenant ?? '', user: principal?.user ?? '', keyId: principal?.keyId ?? '', model: ctx.request.body.model };
    const annotation: LimitsAnnotation = {};
    ctx.annotations.limits = annotation;

    // Tokens a request may use: its prompt plus what it may generate.
    const admission = runtime.limiter.admit(policy, subject, () => decision.promptTokens() + expectedCompletionTokens(ctx.request.body));
    setRateLimitHeaders(ctx.responseHeaders, admission);
    if (!admission.allowed) {
      annotation.refusedBy = admission.refusedBy ?? undefined;
      const retryAfterS = Math.max(1, Math.ceil(admission.retryAfterMs / 1000));
      throw new GatewayError('rate_limit_exceeded', `Rate limit reached: ${admission.refusedBy}. Please try again in ${retryAfterS}s.`, {
        headers: { ...ctx.responseHeaders, 'retry-after': String(retryAfterS), 'retry-after-ms': String(Math.ceil(admission.retryAfterMs)) },
      });
    }
    if (admission.reservations.length > 0) annotation.reservedTokens = admission.reservations[0]?.tokens;

    let budget;
    try {
      budget = runtime.budgets.check(policy, subject);
    } catch (error) {
      runtime.limiter.settle(admission.reservations, 0);
      throw error;
    }
    if (budget.warnings.length > 0) {
      annotation.budgetWarnings = budget.warnings.map((w) => `${w.scope} ${w.subject} ${w.window} ${Math.round(w.ratio * 100)}% of $${w.capUsd}`);
      ctx.responseHeaders['x-kagami-budget-warning'] = annotation.budgetWarnings.join('; ');
    }

    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      const usage = ctx.usage;
      const cacheHit = (ctx.annotations.cache as { hit?: boolean } | undefined)?.hit === true;
      // A cached answer costs no upstream tokens and no money.
      runtime.limiter.settle(admission.reservations, cacheHit ? 0 : (usage?.totalTokens ?? 0));
      if (usage === undefined || ctx.target === undefined || cacheHit) return;
      const target = decision.candidates.find((c) => c.endpoint === ctx.target?.endpoint);
      if (ctx.costUsd === undefined && target !== undefined && target.price !== null) {
        ctx.costUsd = costUsd(target.price, usage.promptTokens, usage.completionTokens);
      }
      if (ctx.costUsd !== undefined && ctx.costUsd > 0) runtime.budgets.record(subject, ctx.costUsd);
    };

    let outcome: Outcome;
    try {
      outcome = await next();
    } catch (error) {
      settle();
      throw error;
    }
    if (outcome.kind === 'json') {
      settle();
      return outcome;
    }
    return { ...outcome, events: settleAfter(outcome.events, settle) };
  };
}

async function* settleAfter(events: AsyncIterable<JsonObject>, settle: () => void): AsyncIterable<JsonObject> {
  try {
    yield* events;
  } finally {
    settle();
  }
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
