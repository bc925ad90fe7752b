// The request pipeline, in order. Each stage is built once from its factory with the
// daemon's deps; adding a stage is one import and one line in the list (and its deps type in
// PipelineDeps). Order matters: audit outermost (sees every outcome), then who is asking,
// what policy allows, limits, redaction (wraps the response too), routing, the upstream call.
import { createApplyPolicy, type ApplyPolicyDeps } from './apply-policy.js';
import { createAuthenticate, type AuthenticateDeps } from './authenticate.js';
import { composeStages } from './compose.js';
import type { Outcome, RequestContext, Stage } from './context.js';
import { createEnforceLimits, type EnforceLimitsDeps } from './enforce-limits.js';
import { createForwardUpstream, type ForwardUpstreamDeps } from './forward-upstream.js';
import { createRecordAudit, type RecordAuditDeps } from './record-audit.js';
import { createPiiScannerFromConfig, createRedactPrompt, type RedactPromptDeps } from './redact-prompt.js';
import { createSelectRoute, type SelectRouteDeps } from './select-route.js';
import { createServeFromCache, type ServeFromCacheDeps } from './serve-from-cache.js';

export type PipelineDeps = RecordAuditDeps & AuthenticateDeps & SelectRouteDeps & ForwardUpstreamDeps & RedactPromptDeps & ApplyPolicyDeps & EnforceLimitsDeps & ServeFromCacheDeps & {
  /** Wraps each stage in a tracing span (daemon/tracing/), when traces are configured. */
  readonly traceStage?: (stage: Stage, index: number) => Stage;
};

export type RunPipeline = (ctx: RequestContext) => Promise<Outcome>;

export function createPipeline(deps: PipelineDeps): RunPipeline {
  // One PII scan per request, shared by applyPolicy (data classes) and redactPrompt.
  const piiScanner = deps.piiScanner ?? createPiiScannerFromConfig(deps);
  const stages: Stage[] = [
    createRecordAudit(deps),
    createAuthenticate(deps),
    createApplyPolicy({ ...deps, piiScanner }),
    createEnforceLimits(deps),
    createRedactPrompt({ ...deps, piiScanner }),
    createServeFromCache({ ...deps, piiScanner }),
    createSelectRoute(deps),
    createForwardUpstream(deps),
  ];
  return composeStages(deps.traceStage ? stages.map(deps.traceStage) : stages);
}
