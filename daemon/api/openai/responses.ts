// POST /v1/responses: the OpenAI Responses API, stateless subset (see responses-request.ts
// for what is served and what is refused). The body is translated into the chat hub
// request, runs the same pipeline as /v1/chat/completions (auth, policy, redaction, routing
// to any provider, audit), and the answer is translated back into a `response` object or
// the Responses event stream. Errors before the stream starts use the one OpenAI error
// handler; a failure inside a stream is sent as OpenAI's `error` + `response.failed` events.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ResponsesRequest } from '../../../shared/schemas/responses.js';
import type { JsonObject } from '../../pipeline/context.js';
import type { RunPipeline } from '../../pipeline/index.js';
import type { NamedEvent } from '../anthropic/event-stream.js';
import { runTranslated } from '../anthropic/translated-surface.js';
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
      const translator = new ChunksToResponseEvents(request.body);
      return runTranslated(runPipeline, request, reply, 'openai.responses', responsesToChat(request.body), {
        json: (body) => chatToResponse(body, request.body),
        events: (chunks) => toResponseEvents(chunks, translator),
        errorEvents: (error) => translator.error(error),
      });
    });
  };
}
