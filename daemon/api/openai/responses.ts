// POST /v1/responses: the OpenAI Responses API, stateless subset (see responses-request.ts
// for what is served and what is refused). The body is translated into the chat hub
// request, runs the same pipeline as /v1/chat/completions (auth, policy, redaction, routing
// to any provider, audit), and the answer is translated back into a `response` object or
// the Responses event stream. Errors before the stream starts use the one OpenAI error
// handler; a failure inside a stream is sent as OpenAI's `error` + `response.failed` events.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ResponsesRequest } from '../../../shared/schemas/responses.js';
import { createRequestContext } from '../../http/request-context.js';
import type { JsonObject } from '../../pipeline/context.js';
import type { RunPipeline } from '../../pipeline/index.js';
import { sendNamedEvents, type NamedEvent } from '../anthropic/event-stream.js';
import { ChunksToResponseEvents, chatToResponse } from './responses-output.js';
import { responsesToChat } from './responses-request.js';

export interface ResponsesRoutesDeps {
  readonly runPipeline: RunPipeline;
}

async function* toResponseEvents(chunks: AsyncIterable<JsonObject>, translator: ChunksToResponseEvents): AsyncGenerator<NamedEvent> {
  for await (const chunk of chunks) yield* translator.push(chunk);
  yield* translator.finish();
}

export function createResponsesRoutes(deps: ResponsesRoutesDeps): FastifyPluginAsync {
  const { runPipeline } = deps;
  return async function responsesRoutes(fastify) {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    app.post('/v1/responses', { schema: { body: ResponsesRequest } }, async (request, reply) => {
      const body = responsesToChat(request.body);
      const ctx = createRequestContext(request, reply, 'openai.responses', 'chat', body as { model: string });
      let outcome;
      try {
        outcome = await runPipeline(ctx);
      } finally {
        reply.headers(ctx.responseHeaders);
      }
      if (outcome.kind === 'json') return reply.code(outcome.status).send(chatToResponse(outcome.body, request.body));
      const translator = new ChunksToResponseEvents(request.body);
      await sendNamedEvents(
        reply,
        outcome.status,
        ctx.responseHeaders,
        toResponseEvents(outcome.events, translator),
        (error) => translator.error(error),
        (error) => request.log.error({ err: error, traceId: ctx.traceId }, 'stream failed'),
      );
      return reply;
    });
  };
}
