// How a translated surface (/v1/messages, /v1/responses) answers: its body, already turned
// into the chat hub request, runs the pipeline; a JSON outcome is translated into the
// surface's body, a stream into the surface's named events, and a failure inside the stream
// into the surface's own error events.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayError } from '../../../shared/errors.js';
import { createRequestContext } from '../../http/request-context.js';
import type { GatewayRequest, InboundApi, JsonObject } from '../../pipeline/context.js';
import type { RunPipeline } from '../../pipeline/index.js';
import { sendNamedEvents, type NamedEvent } from './event-stream.js';

export interface SurfaceTranslation {
  readonly json: (body: JsonObject) => JsonObject;
  readonly events: (chunks: AsyncIterable<JsonObject>) => AsyncIterable<NamedEvent>;
  readonly errorEvents: (error: GatewayError) => readonly NamedEvent[];
}

export async function runTranslated(
  runPipeline: RunPipeline,
  request: FastifyRequest,
  reply: FastifyReply,
  api: InboundApi,
  hubBody: GatewayRequest['body'],
  translation: SurfaceTranslation,
): Promise<FastifyReply> {
  const ctx = createRequestContext(request, reply, api, 'chat', hubBody);
  let outcome;
  try {
    outcome = await runPipeline(ctx);
  } finally {
    reply.headers(ctx.responseHeaders);
  }
  if (outcome.kind === 'json') return reply.code(outcome.status).send(translation.json(outcome.body));
  await sendNamedEvents(reply, outcome.status, ctx.responseHeaders, translation.events(outcome.events), translation.errorEvents, (error) =>
    request.log.error({ err: error, traceId: ctx.traceId }, 'stream failed'),
  );
  return reply;
}
