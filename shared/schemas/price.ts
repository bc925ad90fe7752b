// What a model costs, in USD per million tokens: one schema for config `models[].price` and
// policy `endpoints.*.price`. Providers bill prompt-cache reads and writes at their own rates
// (Anthropic: reads 0.1×, writes 1.25× the input price; OpenAI and Gemini: discounted reads),
// so those have their own optional prices; absent, they cost the input price.
import Type from 'typebox';

export const Price = Type.Object(
  {
    input_per_1m: Type.Number({ minimum: 0, description: 'USD per 1M prompt tokens (not read from or written to the prompt cache)' }),
    output_per_1m: Type.Number({ minimum: 0, description: 'USD per 1M completion tokens' }),
    cached_input_per_1m: Type.Optional(
      Type.Number({ minimum: 0, description: 'USD per 1M prompt tokens read from the provider prompt cache (default: input_per_1m)' }),
    ),
    cache_write_per_1m: Type.Optional(
      Type.Number({ minimum: 0, description: 'USD per 1M prompt tokens written to the provider prompt cache (default: input_per_1m)' }),
    ),
  },
  { additionalProperties: false },
);
export type Price = Type.Static<typeof Price>;
