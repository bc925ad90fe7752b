// Per-model capabilities from config (`models[].capabilities`: tools, vision, json_mode,
// context_window) checked before a request is forwarded: a target that lacks what the request
// needs is dropped from the candidates; when none is left the client gets a 400
// capability_missing naming the capability (and the field that needs it). The operation
// itself (chat / embeddings / completions) is selectRoute's own check.
//
// context_window: the prompt is counted with gpt-tokenizer (o200k) only when a cheap
// estimate (characters / 4) says it could be near the window, and the count stops at the
// limit (isWithinTokenLimit), so ordinary requests pay nothing. Other providers' tokenizers
// differ; the count is an estimate and errs towards letting a request through.
import { GatewayError } from '../../shared/errors.js';
import type { Config } from '../../shared/schemas/config.js';
import type { GatewayRequest, Target } from '../pipeline/context.js';
import { o200kTokenizer } from '../routing/token-estimate.js';

type Capabilities = Config['models'][number]['capabilities'];

interface Need {
  readonly capability: 'tools' | 'vision' | 'json_mode';
  readonly param: string;
}

type TokenLimitCheck = (text: string, limit: number) => false | number;
let tokenLimitCheck: Promise<TokenLimitCheck> | undefined;
function loadTokenizer(): Promise<TokenLimitCheck> {
  tokenLimitCheck ??= Promise.resolve(o200kTokenizer().isWithinTokenLimit); // the one copy routing loads
  return tokenLimitCheck;
}

const NO_NEEDS: readonly Need[] = Object.freeze([]);
const NO_MESSAGES: readonly { content?: unknown }[] = Object.freeze([]);
const TOOLS_NEED: Need = Object.freeze({ capability: 'tools', param: 'tools' });
const JSON_MODE_NEED: Need = Object.freeze({ capability: 'json_mode', param: 'response_format' });

/** What a chat request needs beyond plain text, with the field that needs it. */
export function requestNeeds(request: GatewayRequest): readonly Need[] {
  if (request.op !== 'chat') return NO_NEEDS;
  const body = request.body;
  // Arrays and closures only when something is needed (allocation on the request path).
  let needs: Need[] | undefined;
  if (Array.isArray(body['tools']) && body['tools'].length > 0) (needs ??= []).push(TOOLS_NEED);
  const format = (body['response_format'] as { type?: unknown } | undefined)?.type;
  if (format === 'json_object' || format === 'json_schema') (needs ??= []).push(JSON_MODE_NEED);
  const messages = Array.isArray(body['messages']) ? (body['messages'] as { content?: unknown }[]) : NO_MESSAGES;
  for (let i = 0; i < messages.length; i++) {
    const content = (messages[i] as { content?: unknown }).content;
    if (!Array.isArray(content)) continue;
    const k = (content as { type?: unknown }[]).findIndex((part) => part.type === 'image_url');
    if (k === -1) continue;
    (needs ??= []).push({ capability: 'vision', param: `messages[${i}].content[${k}]` });
    break;
  }
  return needs ?? NO_NEEDS;
}

/** The text a model reads from the request (message contents, tool definitions), for counting. */
function promptText(request: GatewayRequest): string {
  const body = request.body;
  const parts: string[] = [];
  for (const message of (body['messages'] ?? []) as { content?: unknown; tool_calls?: unknown }[]) {
    if (typeof message.content === 'string') parts.push(message.content);
    else if (Array.isArray(message.content)) for (const part of message.content as { text?: unknown }[]) if (typeof part.text === 'string') parts.push(part.text);
    if (message.tool_calls !== undefined) parts.push(JSON.stringify(message.tool_calls));
  }
  if (typeof body['prompt'] === 'string') parts.push(body['prompt']);
  if (typeof body['input'] === 'string') parts.push(body['input']);
  if (body['tools'] !== undefined) parts.push(JSON.stringify(body['tools']));
  return parts.join('\n');
}

function outputReserve(request: GatewayRequest): number {
  const value = request.body['max_completion_tokens'] ?? request.body['max_tokens'];
  return typeof value === 'number' ? value : 0;
}

/** The first need the capabilities lack (a loop, not a closure per target). */
function missingNeed(needs: readonly Need[], capabilities: Capabilities): Need | undefined {
  for (const need of needs) if (!capabilities[need.capability]) return need;
  return undefined;
}

/** The candidates that can serve the request: the same array when there is nothing to check, else a promise of the kept ones. */
export type CapabilityFilter = (candidates: readonly Target[], request: GatewayRequest) => readonly Target[] | Promise<Target[]>;

export function createCapabilityFilter(models: Config['models']): CapabilityFilter {
  // Nested maps, not joined-string keys: a lookup builds no string per request.
  const byEndpoint = new Map<string, Capabilities>();
  const byUpstream = new Map<string, Map<string, Capabilities>>();
  for (const model of models) {
    byEndpoint.set(model.name, model.capabilities);
    let byModel = byUpstream.get(model.provider);
    if (byModel === undefined) byUpstream.set(model.provider, (byModel = new Map()));
    byModel.set(model.model, model.capabilities);
  }
  const capabilitiesOf = (target: Target): Capabilities | undefined =>
    byEndpoint.get(target.endpoint) ?? byUpstream.get(target.provider)?.get(target.upstreamModel);

  const anyContextWindow = models.some((model) => model.capabilities.context_window !== undefined);

  return function requireCapabilities(candidates, request) {
    const needs = requestNeeds(request);
    // Nothing to check (the usual request): the candidates as they are, at once, without an
    // async frame and a new array (allocation on the request path).
    if (needs.length === 0 && !anyContextWindow) return candidates;
    return filterCandidates(candidates, request, needs);
  };

  async function filterCandidates(candidates: readonly Target[], request: GatewayRequest, needs: readonly Need[]): Promise<Target[]> {
    const kept: Target[] = [];
    let firstMissing: GatewayError | undefined;
    let text: string | undefined;
    for (const target of candidates) {
      const capabilities = capabilitiesOf(target);
      // A target the config does not describe (policy endpoints outside `models`) is not judged.
      if (capabilities === undefined) {
        kept.push(target);
        continue;
      }
      const missing = missingNeed(needs, capabilities);
      if (missing !== undefined) {
        firstMissing ??= new GatewayError(
          'capability_missing',
          `The model \`${target.endpoint}\` does not support ${missing.capability} (config models[].capabilities.${missing.capability}), which this request needs for \`${missing.param}\`.`,
          { param: missing.param },
        );
        continue;
      }
      const window = capabilities.context_window;
      if (window !== undefined && request.op !== 'embedding') {
        text ??= promptText(request);
        const budget = window - outputReserve(request);
        if (text.length / 4 > budget * 0.5) {
          const within = budget > 0 ? (await loadTokenizer())(text, budget) : false;
          if (within === false) {
            firstMissing ??= new GatewayError(
              'capability_missing',
              `The request does not fit the context window of \`${target.endpoint}\` (${window} tokens${outputReserve(request) > 0 ? `, ${outputReserve(request)} reserved for the answer` : ''}).`,
              { param: 'messages' },
            );
            continue;
          }
        }
      }
      kept.push(target);
    }
    if (kept.length === 0 && firstMissing !== undefined) throw firstMissing;
    return kept;
  }
}
