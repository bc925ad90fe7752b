// Anthropic Messages request body as POST /v1/messages accepts it (fastify route schema).
// Permissive like the OpenAI schemas: only what the gateway reads is checked; the route
// translates the rest (and refuses what it cannot translate, naming the field).
import Type from 'typebox';

const ContentBlock = Type.Object({ type: Type.String({ minLength: 1 }) });

export const AnthropicMessage = Type.Object({
  role: Type.Union([Type.Literal('user'), Type.Literal('assistant')]),
  content: Type.Union([Type.String(), Type.Array(ContentBlock)]),
});

export const AnthropicMessagesRequest = Type.Object({
  model: Type.String({ minLength: 1 }),
  max_tokens: Type.Integer({ minimum: 1 }),
  messages: Type.Array(AnthropicMessage, { minItems: 1 }),
  system: Type.Optional(Type.Union([Type.String(), Type.Array(ContentBlock)])),
  stream: Type.Optional(Type.Boolean()),
  stop_sequences: Type.Optional(Type.Array(Type.String())),
  temperature: Type.Optional(Type.Number()),
  top_p: Type.Optional(Type.Number()),
  tools: Type.Optional(Type.Array(Type.Object({ name: Type.String({ minLength: 1 }) }))),
});
export type AnthropicMessagesRequest = Type.Static<typeof AnthropicMessagesRequest> & Record<string, unknown>;

/** POST /v1/messages/count_tokens: a Messages request without max_tokens. */
export const AnthropicCountTokensRequest = Type.Omit(AnthropicMessagesRequest, ['max_tokens']);
export type AnthropicCountTokensRequest = Type.Static<typeof AnthropicCountTokensRequest> & Record<string, unknown>;

/** Anthropic's error body, built only by toAnthropicError (daemon/api/anthropic/errors.ts). */
export const AnthropicErrorBody = Type.Object({
  type: Type.Literal('error'),
  error: Type.Object({ type: Type.String(), message: Type.String() }),
});
export type AnthropicErrorBody = Type.Static<typeof AnthropicErrorBody>;
