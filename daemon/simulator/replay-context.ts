// The policy tools (`kagami policy explain`, `kagami simulate`) run the daemon's own policy
// code on requests that never came over HTTP: this builds the RequestContext the applyPolicy
// stage would have seen, from the caller's identity, headers and the OpenAI body, so rules are
// evaluated by exactly the same functions (buildRequestFacts, matchRule, decideRoute). Also
// what stands in for the daemon's live state: providers from the policy, recorded latencies.
import type { JsonObject, Operation, RequestContext } from '../pipeline/context.js';
import type { CompiledPolicy } from '../policy/compile-policy.js';
import type { RoutingConfig } from '../policy/target-resolver.js';
import { percentile, type LatencySnapshot } from '../routing/latency-tracker.js';

export interface ReplayRequest {
  readonly tenant?: string | undefined;
  readonly user?: string | undefined;
  readonly role?: string | undefined;
  readonly keyId?: string | undefined;
  readonly headers?: Readonly<Record<string, string | readonly string[]>> | undefined;
  readonly operation?: Operation | undefined;
  readonly body: JsonObject & { model: string };
  /** Date.now() of the request. */
  readonly at: number;
  /** Data classes known from elsewhere (the audit row, the traffic line). */
  readonly dataClasses?: readonly string[] | undefined;
}

const NEVER_ABORTED = new AbortController().signal;

export function createReplayContext(request: ReplayRequest): RequestContext {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = typeof value === 'string' ? value : [...value];
  return {
    traceId: '00000000000000000000000000000000',
    traceparent: '00-00000000000000000000000000000000-0000000000000000-00',
    receivedAt: 0,
    startedAt: request.at,
    api: request.operation === 'embedding' ? 'openai.embeddings' : request.operation === 'completion' ? 'openai.completions' : 'openai.chat',
    request: { op: request.operation ?? 'chat', body: { ...request.body } },
    headers,
    signal: NEVER_ABORTED,
    principal: {
      keyId: request.keyId ?? '',
      tenant: request.tenant ?? '',
      user: request.user ?? '',
      role: request.role ?? null,
      models: null,
    },
    dataClasses: new Set(request.dataClasses ?? []),
    candidates: [],
    responseHeaders: {},
    annotations: {},
  };
}

/** The routing config to resolve a policy's endpoints with, when no daemon config is given. */
export function policyOnlyRoutingConfig(policy: CompiledPolicy): RoutingConfig {
  const ids = new Set(Object.values(policy.endpoints).map((e) => e.provider));
  return { providers: [...ids].map((id) => ({ id })), models: [] };
}

/**
 * The latency ranking sees, from the recording: per endpoint, its recorded median stands in
 * for the live EWMA and its recorded p95 for the live p95 (successful requests only).
 */
export function recordedLatency(observed: ReadonlyMap<string, number[]>): { snapshot(endpoint: string): LatencySnapshot } {
  const snapshots = new Map<string, LatencySnapshot>();
  for (const [endpoint, values] of observed) {
    const sorted = [...values].sort((a, b) => a - b);
    const p50 = percentile(sorted, 0.5);
    snapshots.set(endpoint, { samples: sorted.length, ewmaMs: p50, p50Ms: p50, p95Ms: percentile(sorted, 0.95) });
  }
  const none: LatencySnapshot = { samples: 0, ewmaMs: null, p50Ms: null, p95Ms: null };
  return { snapshot: (endpoint) => snapshots.get(endpoint) ?? none };
}
