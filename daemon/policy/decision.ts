// The policy decision for one request, kept beside the context (not in it) so the later
// policy-owned stages (enforceLimits, serveFromCache) read the rule and policy applyPolicy
// chose without re-evaluating; ctx.annotations.policy holds the audit-facing copy.
import type { RequestContext } from '../pipeline/context.js';
import type { CompiledPolicy, CompiledRule } from './compile-policy.js';
import type { ResolvedTarget } from './evaluate.js';

export interface AppliedDecision {
  readonly policy: CompiledPolicy;
  readonly rule: CompiledRule;
  readonly candidates: readonly ResolvedTarget[];
  readonly onPremReason: string | null;
  /** Prompt tokens (real tokenizer), computed at most once per request. */
  promptTokens(): number;
}

const decisions = new WeakMap<RequestContext, AppliedDecision>();

export function setDecision(ctx: RequestContext, decision: AppliedDecision): void {
  decisions.set(ctx, decision);
}

export function getDecision(ctx: RequestContext): AppliedDecision | undefined {
  return decisions.get(ctx);
}
