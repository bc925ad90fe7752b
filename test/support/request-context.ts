// A RequestContext as the routes build it (daemon/http/request-context.ts), for stage tests that
// call a stage directly: a fixed W3C trace, an OpenAI chat request with `body`, a live signal.
import type { JsonObject, RequestContext } from '../../daemon/pipeline/context.js';

export function requestContext(body: JsonObject & { model: string }, overrides: Partial<RequestContext> = {}): RequestContext {
  return {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    receivedAt: performance.now(),
    startedAt: Date.now(),
    api: 'openai.chat',
    request: { op: 'chat', body },
    headers: {},
    signal: new AbortController().signal,
    dataClasses: new Set(),
    candidates: [],
    responseHeaders: {},
    annotations: {},
    ...overrides,
  };
}
