// The policy tools (`kagami policy explain`, `kagami simulate`) run the daemon's own policy
// code on requests that never came over HTTP: this builds the RequestContext the applyPolicy
// stage would have seen, from the caller's identity, headers and the OpenAI body, so rules are
// evaluated by exactly the same functions (buildRequestFacts, matchRule, decideRoute).
import type { JsonObject, Operation, RequestContext } from '../pipeline/context.js';

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
