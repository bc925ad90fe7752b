// Runs the pipeline for a parsed request and sends what comes back: a JSON body, or an SSE
// stream in OpenAI's framing. Errors go to the one error handler with the headers stages set.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendSse } from '../../http/sse.js';
import { createRequestContext } from '../../http/request-context.js';
import type { GatewayRequest, InboundApi, Operation } from '../../pipeline/context.js';
import type { RunPipeline } from '../../pipeline/index.js';
import { verbatimText } from '../../pipeline/verbatim-json.js';

export async function runAndRespond(
  runPipeline: RunPipeline,
  request: FastifyRequest,
  reply: FastifyReply,
  api: InboundApi,
  op: Operation,
): Promise<FastifyReply | undefined> {
  const ctx = createRequestContext(request, reply, api, op, request.body as GatewayRequest['body']);
  let outcome;
  try {
    outcome = await runPipeline(ctx);
  } finally {
    reply.headers(ctx.responseHeaders);
  }
  if (outcome.kind === 'json') {
    // An answer no stage changed goes out as the upstream's own text (no re-serializing).
    const text = verbatimText(outcome.body);
    if (text !== undefined) return reply.code(outcome.status).type('application/json; charset=utf-8').send(text);
    return reply.code(outcome.status).send(outcome.body);
  }
  await sendSse(reply, outcome.status, outcome.events, ctx.responseHeaders, (error) => {
    request.log.error({ err: error, traceId: ctx.traceId }, 'stream failed');
  });
  return undefined;
}
