// The Anthropic-compatible surface: POST /v1/messages, so Claude Code and Anthropic SDK users
// can set ANTHROPIC_BASE_URL to Kagami. The body is translated into the OpenAI hub request,
// runs the same pipeline as /v1/chat/completions (auth by x-api-key or Authorization,
// policy, redaction, routing to any provider, audit), and the answer is translated back,
// streaming with Anthropic's exact event framing. The anthropic-version header is accepted
// (every version answers the same shape); errors use Anthropic's error body.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AnthropicMessagesRequest } from '../../../shared/schemas/anthropic.js';
import { createRequestContext } from '../../http/request-context.js';
import type { JsonObject } from '../../pipeline/context.js';
import type { RunPipeline } from '../../pipeline/index.js';
import { registerAnthropicErrors, toAnthropicError } from './errors.js';
import { sendNamedEvents, type NamedEvent } from './event-stream.js';
import { ChunksToAnthropicEvents, chatToMessage } from './from-chat.js';
import { messagesToChat } from './to-chat.js';

export interface AnthropicRoutesDeps {
  readonly runPipeline: RunPipeline;
}

async function* toAnthropicEvents(chunks: AsyncIterable<JsonObject>, model: string): AsyncGenerator<NamedEvent> {
  const translator = new ChunksToAnthropicEvents(model);
  for await (const chunk of chunks) yield* translator.push(chunk);
  yield* translator.finish();
}

export function createAnthropicRoutes(deps: AnthropicRoutesDeps): FastifyPluginAsync {
  const { runPipeline } = deps;
  return async function anthropicRoutes(fastify) {
    registerAnthropicErrors(fastify);
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    app.post('/v1/messages', { schema: { body: AnthropicMessagesRequest } }, async (request, reply) => {
      const body = messagesToChat(request.body);
      const ctx = createRequestContext(request, reply, 'anthropic.messages', 'chat', body as { model: string });
      let outcome;
      try {
        outcome = await runPipeline(ctx);
      } finally {
        reply.headers(ctx.responseHeaders);
      }
      if (outcome.kind === 'json') return reply.code(outcome.status).send(chatToMessage(outcome.body, request.body.model));
      await sendNamedEvents(
        reply,
        outcome.status,
        ctx.responseHeaders,
        toAnthropicEvents(outcome.events, request.body.model),
        (error) => [{ event: 'error', data: toAnthropicError(error) }],
        (error) => request.log.error({ err: error, traceId: ctx.traceId }, 'stream failed'),
      );
      return reply;
    });
  };
}
