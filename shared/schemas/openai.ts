// OpenAI request bodies as the gateway accepts them (fastify route schemas for /v1/*).
// Deliberately permissive: only the fields the gateway itself reads are typed and checked;
// every other field (tools, tool_choice, response_format, n, logprobs, seed, …) passes
// through untouched to the upstream, so a new OpenAI parameter works without a change here.
// Never set `additionalProperties: false` or `default` here: fastify's ajv would strip or
// fill fields and the body would no longer be what the client sent.
import Type from 'typebox';

const StreamOptions = Type.Object({ include_usage: Type.Optional(Type.Boolean()) });

/** One chat message: a role plus whatever content shape OpenAI allows (string, parts, tool calls). */
export const ChatMessage = Type.Object({ role: Type.String({ minLength: 1 }) });
export type ChatMessage = Type.Static<typeof ChatMessage> & Record<string, unknown>;

export const ChatCompletionRequest = Type.Object({
  model: Type.String({ minLength: 1 }),
  messages: Type.Array(ChatMessage, { minItems: 1 }),
  stream: Type.Optional(Type.Boolean()),
  stream_options: Type.Optional(Type.Union([StreamOptions, Type.Null()])),
});
export type ChatCompletionRequest = Type.Static<typeof ChatCompletionRequest> & Record<string, unknown>;

/** Legacy /v1/completions (vLLM, TGI and older clients). */
export const CompletionRequest = Type.Object({
  model: Type.String({ minLength: 1 }),
  prompt: Type.Union([
    Type.String(),
    Type.Array(Type.String()),
    Type.Array(Type.Integer()),
    Type.Array(Type.Array(Type.Integer())),
  ]),
  stream: Type.Optional(Type.Boolean()),
  stream_options: Type.Optional(Type.Union([StreamOptions, Type.Null()])),
});
export type CompletionRequest = Type.Static<typeof CompletionRequest> & Record<string, unknown>;

export const EmbeddingRequest = Type.Object({
  model: Type.String({ minLength: 1 }),
  input: Type.Union([
    Type.String(),
    Type.Array(Type.String(), { minItems: 1 }),
    Type.Array(Type.Integer(), { minItems: 1 }),
    Type.Array(Type.Array(Type.Integer()), { minItems: 1 }),
  ]),
});
export type EmbeddingRequest = Type.Static<typeof EmbeddingRequest> & Record<string, unknown>;

/** GET /v1/models entry (OpenAI's list shape). */
export const ModelEntry = Type.Object({
  id: Type.String(),
  object: Type.Literal('model'),
  created: Type.Integer(),
  owned_by: Type.String(),
});
export type ModelEntry = Type.Static<typeof ModelEntry>;

export const ModelList = Type.Object({ object: Type.Literal('list'), data: Type.Array(ModelEntry) });
export type ModelList = Type.Static<typeof ModelList>;

/** OpenAI's error body; built only by GatewayError.toOpenAiBody(). */
export const OpenAiErrorBody = Type.Object({
  error: Type.Object({
    message: Type.String(),
    type: Type.String(),
    param: Type.Union([Type.String(), Type.Null()]),
    code: Type.Union([Type.String(), Type.Null()]),
  }),
});
export type OpenAiErrorBody = Type.Static<typeof OpenAiErrorBody>;
