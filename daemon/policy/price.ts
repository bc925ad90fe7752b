// The one place a request's cost is computed: tokens × the answering model's price, for the
// audit row's cost_usd, the budgets' spend, and the cost estimates routing and the simulator
// rank by. Prompt tokens include any cache reads and writes (OpenAI's convention, which every
// adapter normalises to); those are priced at their own rates when the price names them.
import type { Price } from '../../shared/schemas/price.js';
import type { Usage } from '../pipeline/context.js';

/** Token counts to price: a real Usage, or an estimate (prompt and completion only). */
export type PricedTokens = Pick<Usage, 'promptTokens' | 'completionTokens' | 'cachedTokens' | 'cacheWriteTokens'>;

/** USD for these tokens at this price; 0 when the model has no price. */
export function costUsd(price: Price | null | undefined, tokens: PricedTokens): number {
  if (price === null || price === undefined) return 0;
  const cached = Math.max(0, tokens.cachedTokens ?? 0);
  const written = Math.max(0, tokens.cacheWriteTokens ?? 0);
  // An upstream reporting more cache tokens than prompt tokens is not billed below zero.
  const uncached = Math.max(0, tokens.promptTokens - cached - written);
  return (
    (uncached * price.input_per_1m +
      cached * (price.cached_input_per_1m ?? price.input_per_1m) +
      written * (price.cache_write_per_1m ?? price.input_per_1m) +
      tokens.completionTokens * price.output_per_1m) /
    1_000_000
  );
}
