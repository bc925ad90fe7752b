// OpenAI Responses API request body as POST /v1/responses accepts it (the stateless subset
// the gateway serves; daemon/api/openai/responses.ts refuses the rest by name).
import Type from 'typebox';

export const ResponsesRequest = Type.Object({
  model: Type.String({ minLength: 1 }),
  input: Type.Union([Type.String(), Type.Array(Type.Object({}))]),
  instructions: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  stream: Type.Optional(Type.Boolean()),
  store: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  max_output_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
  tools: Type.Optional(Type.Array(Type.Object({ type: Type.String() }))),
});
export type ResponsesRequest = Type.Static<typeof ResponsesRequest> & Record<string, unknown>;
