// Builds the RequestContext a route hands to the pipeline, and ties its abort signal to
// the client connection: when the client goes away before the answer is finished, the
// signal aborts and the upstream request with it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayRequest, InboundApi, Operation, RequestContext } from '../pipeline/context.js';

export function createRequestContext(
  request: FastifyRequest,
  reply: FastifyReply,
  api: InboundApi,
  op: Operation,
  body: GatewayRequest['body'],
): RequestContext {
  const controller = new AbortController();
  const response = reply.raw;
  response.once('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  return {
    traceId: request.traceId,
    traceparent: request.traceparent,
    receivedAt: request.receivedAt,
    startedAt: Date.now(),
    api,
    request: { op, body },
    headers: request.headers,
    signal: controller.signal,
    dataClasses: new Set(),
    candidates: [],
    responseHeaders: {},
    annotations: {},
  };
}
