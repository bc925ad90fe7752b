// The OpenAI API surface: chat completions, legacy completions, embeddings, models, and the
// health probes. Each route: schema-validated body → RequestContext → pipeline → reply.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { GatewayError } from '../../../shared/errors.js';
import { ChatCompletionRequest, CompletionRequest, EmbeddingRequest, type ModelEntry, type ModelList } from '../../../shared/schemas/openai.js';
import type { Config } from '../../../shared/schemas/config.js';
import type { KeyVerifier } from '../../deps.js';
import { authenticateHeaders } from '../../pipeline/authenticate.js';
import type { RunPipeline } from '../../pipeline/index.js';
import { runAndRespond } from './respond.js';
import { anthropicModel, anthropicModelList } from '../anthropic/models.js';

export interface OpenAiRoutesDeps {
  readonly config: Pick<Config, 'models' | 'providers'>;
  readonly keyStore: KeyVerifier;
  readonly runPipeline: RunPipeline;
  readonly isReady?: (() => boolean) | undefined;
}

export function createOpenAiRoutes(deps: OpenAiRoutesDeps): FastifyPluginAsync {
  const { runPipeline, keyStore } = deps;
  const created = Math.floor(Date.now() / 1000);
  const models: ModelEntry[] = deps.config.models.map((model) => ({
    id: model.name,
    object: 'model',
    created,
    owned_by: model.provider,
  }));

  return async function openAiRoutes(fastify) {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    app.post('/v1/chat/completions', { schema: { body: ChatCompletionRequest } }, (request, reply) =>
      runAndRespond(runPipeline, request, reply, 'openai.chat', 'chat'),
    );
    app.post('/v1/completions', { schema: { body: CompletionRequest } }, (request, reply) =>
      runAndRespond(runPipeline, request, reply, 'openai.completions', 'completion'),
    );
    app.post('/v1/embeddings', { schema: { body: EmbeddingRequest } }, (request, reply) =>
      runAndRespond(runPipeline, request, reply, 'openai.embeddings', 'embedding'),
    );

    app.get('/v1/models', async (request): Promise<ModelList> => {
      const principal = authenticateHeaders(request.headers, keyStore);
      const allowed = principal.models;
      const visible = allowed === null ? models : models.filter((model) => allowed.includes(model.id));
      if (request.headers['anthropic-version'] !== undefined) return anthropicModelList(visible) as unknown as ModelList; // Anthropic SDK's list shape
      return { object: 'list', data: visible };
    });
    app.get<{ Params: { model: string } }>('/v1/models/:model', async (request): Promise<ModelEntry> => {
      const principal = authenticateHeaders(request.headers, keyStore);
      const id = request.params.model;
      const model = models.find((entry) => entry.id === id);
      if (model === undefined || (principal.models !== null && !principal.models.includes(id))) {
        throw new GatewayError('model_not_found', `The model '${id}' does not exist or you do not have access to it.`, { param: 'model' });
      }
      if (request.headers['anthropic-version'] !== undefined) return anthropicModel(model) as unknown as ModelEntry; // Anthropic SDK's model shape
      return model;
    });

    app.get('/healthz', async () => ({ status: 'ok' }));
    app.get('/readyz', async (_request, reply) => {
      const ready = deps.isReady?.() ?? true;
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'starting' });
    });
  };
}
