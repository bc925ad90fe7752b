// OpenAI Responses API request body as POST /v1/responses accepts it (the stateless subset
// the gateway serves; daemon/api/openai/responses-request.ts refuses the rest by name).
// Permissive like the other OpenAI schemas: only what the gateway reads is typed.
import Type from 'typebox';

const Nullable = <T extends Type.TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));

/** One input item: a message (type optional), function_call, function_call_output, reasoning, … */
const InputItem = Type.Object({ type: Type.Optional(Type.String({ minLength: 1 })) });

export const ResponsesRequest = Type.Object({
  model: Type.String({ minLength: 1 }),
  input: Type.Union([Type.String(), Type.Array(InputItem)]),
  instructions: Nullable(Type.String()),
  stream: Nullable(Type.Boolean()),
  store: Nullable(Type.Boolean()),
  max_output_tokens: Nullable(Type.Integer({ minimum: 1 })),
  tools: Type.Optional(Type.Array(Type.Object({ type: Type.String({ minLength: 1 }) }))),
  include: Nullable(Type.Array(Type.String())),
  text: Nullable(Type.Object({ format: Type.Optional(Type.Object({ type: Type.String({ minLength: 1 }) })) })),
});
export type ResponsesRequest = Type.Static<typeof ResponsesRequest> & Record<string, unknown>;
