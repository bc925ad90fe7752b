// Token and cost estimates for routing decisions, with a real BPE tokenizer (o200k_base, the
// encoding of the gpt-4o family) rather than length/4. Used only when a rule's strategy
// needs a cost, a tokens/min limit applies, or the simulator replays traffic.
import { createRequire } from 'node:module';

interface O200k {
  countTokens(text: string): number;
  isWithinTokenLimit(text: string, limit: number): false | number;
}

let o200k: O200k | undefined;

/**
 * The o200k tokenizer, loaded on first use (synchronously, ~0.2 s), not at daemon start: its
 * tables hold ~50–70 MB of resident memory, and a daemon whose upstreams report usage and
 * whose policy needs no cost or token limit never counts. The CommonJS build, so a synchronous
 * count can load it; every caller in the daemon shares this one copy.
 */
export function o200kTokenizer(): O200k {
  o200k ??= createRequire(import.meta.url)('gpt-tokenizer/encoding/o200k_base') as O200k;
  return o200k;
}

function countTokens(text: string): number {
  return o200kTokenizer().countTokens(text);
}

/** Completion tokens assumed when a chat request sets no max_tokens (for cost ranking only). */
export const DEFAULT_EXPECTED_COMPLETION_TOKENS = 256;

// OpenAI's accounting for chat: ~3 tokens of framing per message and 3 to prime the reply.
const PER_MESSAGE_TOKENS = 3;
const REPLY_PRIMING_TOKENS = 3;

/** Prompt tokens of an OpenAI chat, completion or embeddings request body. */
export function estimatePromptTokens(body: Readonly<Record<string, unknown>>): number {
  let tokens = 0;
  if (Array.isArray(body.messages)) {
    for (const message of body.messages as unknown[]) {
      tokens += PER_MESSAGE_TOKENS;
      if (message === null || typeof message !== 'object') continue;
      const m = message as Record<string, unknown>;
      tokens += countText(m.content);
      if (typeof m.name === 'string') tokens += countTokens(m.name) + 1;
      if (m.tool_calls !== undefined) tokens += countTokens(JSON.stringify(m.tool_calls));
    }
    tokens += REPLY_PRIMING_TOKENS;
  }
  if (body.prompt !== undefined) tokens += countText(body.prompt);
  if (body.input !== undefined) tokens += countText(body.input);
  if (body.tools !== undefined) tokens += countTokens(JSON.stringify(body.tools));
  return tokens;
}

/** Completion tokens to expect: the request's cap, else a default (0 for embeddings). */
export function expectedCompletionTokens(body: Readonly<Record<string, unknown>>): number {
  if (body.input !== undefined && body.messages === undefined && body.prompt === undefined) return 0;
  const cap = body.max_completion_tokens ?? body.max_tokens;
  return typeof cap === 'number' && cap > 0 ? cap : DEFAULT_EXPECTED_COMPLETION_TOKENS;
}

function countText(content: unknown): number {
  if (typeof content === 'string') return countTokens(content);
  if (Array.isArray(content)) {
    let tokens = 0;
    for (const part of content as unknown[]) {
      if (typeof part === 'string') tokens += countTokens(part);
      else if (part !== null && typeof part === 'object') {
        const p = part as Record<string, unknown>;
        if (typeof p.text === 'string') tokens += countTokens(p.text);
        else if (p.type === 'image_url') tokens += 85; // OpenAI's low-detail image cost
      } else if (typeof part === 'number') tokens += 1; // token ids (legacy prompt / embeddings input)
    }
    return tokens;
  }
  return 0;
}
