// The Anthropic-compatible surface: POST /v1/messages, so Claude Code and Anthropic SDK users
// can set ANTHROPIC_BASE_URL to Kagami. The body is translated into the OpenAI hub request,
// runs the same pipeline as /v1/chat/completions (auth by x-api-key or Authorization,
// policy, redaction, routing to any provider, audit), and the answer is translated back,
// streaming with Anthropic's exact event framing. The anthropic-version header is accepted
// (every version answers the same shape); errors use Anthropic's error body.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { GatewayError } from '../../../shared/errors.js';
import { AnthropicCountTokensRequest, AnthropicMessagesRequest } from '../../../shared/schemas/anthropic.js';
import type { Config } from '../../../shared/schemas/config.js';
import type { KeyVerifier } from '../../deps.js';
import type { JsonObject } from '../../pipeline/context.js';
import { authenticateHeaders } from '../../pipeline/authenticate.js';
import type { RunPipeline } from '../../pipeline/index.js';
import { estimatePromptTokens } from '../../routing/token-estimate.js';
import { registerAnthropicErrors, toAnthropicError } from './errors.js';
import type { NamedEvent } from './event-stream.js';
import { ChunksToAnthropicEvents, chatToMessage } from './from-chat.js';
import { messagesToChat } from './to-chat.js';
import { runTranslated } from './translated-surface.js';

export interface AnthropicRoutesDeps {
  readonly runPipeline: RunPipeline;
  readonly keyStore: KeyVerifier;
  readonly config: Pick<Config, 'models'>;
}

async function* toAnthropicEvents(chunks: AsyncIterable<JsonObject>, model: string): AsyncGenerator<NamedEvent> {
  const translator = new ChunksToAnthropicEvents(model);
  for await (const chunk of chunks) yield* translator.push(chunk);
  yield* translator.finish();
}

export function createAnthropicRoutes(deps: AnthropicRoutesDeps): FastifyPluginAsync {
  const { runPipeline, keyStore } = deps;
  const modelNames = new Set(deps.config.models.map((model) => model.name));
  return async function anthropicRoutes(fastify) {
    registerAnthropicErrors(fastify);
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    app.post('/v1/messages', { schema: { body: AnthropicMessagesRequest } }, async (request, reply) => {
      const model = request.body.model;
      return runTranslated(runPipeline, request, reply, 'anthropic.messages', messagesToChat(request.body), {
        json: (body) => chatToMessage(body, model),
        events: (chunks) => toAnthropicEvents(chunks, model),
        errorEvents: (error) => [{ event: 'error', data: toAnthropicError(error) }],
      });
    });

    // Claude Code asks for counts to manage its context window. Counted here, with the o200k
    // tokenizer routing uses, without sending the prompt anywhere: an estimate (Anthropic's
    // own tokenizer differs, usually counting more).
    app.post('/v1/messages/count_tokens', { schema: { body: AnthropicCountTokensRequest } }, async (request) => {
      const principal = authenticateHeaders(request.headers, keyStore);
      const model = request.body.model;
      if (!modelNames.has(model)) throw new GatewayError('model_not_found', `The model '${model}' does not exist or you do not have access to it.`, { param: 'model' });
      if (principal.models !== null && !principal.models.includes(model)) {
        throw new GatewayError('model_not_allowed', `This key may not use the model '${model}'.`, { param: 'model' });
      }
      return { input_tokens: estimatePromptTokens(messagesToChat({ ...request.body, max_tokens: 1 })) };
    });
  };
}
