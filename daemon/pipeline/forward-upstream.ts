// The innermost stage: send the request to the first candidate target that answers.
// Fails over to the next candidate on connect errors, 5xx and timeouts, but only before
// anything reached the client (a stream is committed once its first chunk arrived).
// Breakers, retry budget and latency tracking come in through `attemptPolicy`.
// Every answer gets its usage (the audit row's tokens and cost depend on it): a stream asks the
// upstream for it (OpenAI's stream_options.include_usage; other wires always report it) and
// passes the usage-only chunk on only if the client asked; an upstream that reports none is
// counted with the tokenizer (prompt sent + answer received).
import { GatewayError, isGatewayError } from '../../shared/errors.js';
import type { ProviderCapabilities } from '../providers/types.js';
import { estimatePromptTokens } from '../routing/token-estimate.js';
import { defaultAttemptPolicy, type AttemptPolicy } from '../upstream/attempt-policy.js';
import { sendToUpstream } from '../upstream/send.js';
import type { Upstreams } from '../upstream/upstreams.js';
import type { JsonObject, Operation, Outcome, RequestContext, Stage, Target, Usage } from './context.js';
import type { RequestEvents } from '../events/channels.js';

export interface ForwardUpstreamDeps {
  readonly upstreams: Upstreams;
  readonly attemptPolicy?: AttemptPolicy;
  readonly events?: Pick<RequestEvents, 'route' | 'publishRoute'>;
}

/** What ctx.annotations.route holds (read by recordAudit and the policy area). */
export interface RouteAnnotation {
  /** `${provider}/${upstreamModel}` of each target that failed or was skipped before the answer. */
  fallbacksTried: string[];
  /** Why each fallback was needed (error code or 'skipped'). */
  reasons: string[];
}

const CAPABILITY: Readonly<Record<Operation, keyof ProviderCapabilities>> = {
  chat: 'chat',
  completion: 'completions',
  embedding: 'embeddings',
};

function describe(target: Target): string {
  return `${target.provider}/${target.upstreamModel}`;
}

export function createForwardUpstream(deps: ForwardUpstreamDeps): Stage {
  const policy = deps.attemptPolicy ?? defaultAttemptPolicy;

  return async function forwardUpstream(ctx: RequestContext): Promise<Outcome> {
    const route: RouteAnnotation = { fallbacksTried: [], reasons: [] };
    ctx.annotations.route = route;
    const op = ctx.request.op;
    const stream = op !== 'embedding' && ctx.request.body.stream === true;
    const clientStreamOptions = ctx.request.body.stream_options;
    const clientWantsUsage = isRecord(clientStreamOptions) && clientStreamOptions.include_usage === true;
    const hideUsage = stream && !clientWantsUsage;
    const streamOptions = hideUsage ? { ...(isRecord(clientStreamOptions) ? clientStreamOptions : {}), include_usage: true } : clientStreamOptions;
    let lastError: GatewayError | undefined;

    for (let index = 0; index < ctx.candidates.length; index++) {
      const target = ctx.candidates[index] as Target;
      const upstream = deps.upstreams.get(target.provider);
      if (upstream === undefined) {
        throw new GatewayError('internal_error', `model '${target.endpoint}' names provider '${target.provider}', which is not configured`);
      }
      if (!upstream.adapter.capabilities[CAPABILITY[op]]) {
        lastError = new GatewayError('capability_missing', `Provider '${target.provider}' does not support ${CAPABILITY[op]}.`, { param: 'model' });
        route.fallbacksTried.push(describe(target));
        route.reasons.push(lastError.code);
        continue;
      }
      if (!policy.admit(target, ctx)) {
        route.fallbacksTried.push(describe(target));
        route.reasons.push('skipped');
        continue;
      }
      if (index > 0) await policy.beforeAttempt?.(target, index + 1, lastError, ctx);
      // The event object is built only for a listener (allocation on the request path).
      if (deps.events?.route.hasSubscribers === true) deps.events.publishRoute({
        trace_id: ctx.traceId,
        provider: target.provider,
        endpoint: target.endpoint,
        upstream_model: target.upstreamModel,
        attempt: index + 1,
      });
      const call = {
        op,
        body: hideUsage ? { ...ctx.request.body, model: target.upstreamModel, stream_options: streamOptions } : { ...ctx.request.body, model: target.upstreamModel },
        upstreamModel: target.upstreamModel,
        stream,
        connection: upstream.connection,
      };
      const attemptStart = performance.now();
      // Set once the outcome is handed on: a stream that fails later is recorded by onStreamEnd,
      // one that fails before its first chunk by the catch below (and may fail over).
      let committed = false;
      try {
        const result = await sendToUpstream(upstream, call, {
          signal: ctx.signal,
          headers: { traceparent: ctx.traceparent },
          onStreamEnd: stream
            ? (usage, upstreamMs, error) => {
                if (!committed) return;
                if (usage !== undefined) ctx.usage = usage;
                ctx.upstreamMs = (ctx.upstreamMs ?? 0) + upstreamMs;
                policy.record(target, error === undefined ? { ok: true, latencyMs: upstreamMs } : { ok: false, latencyMs: upstreamMs, error }, ctx);
              }
            : undefined, // a JSON answer is recorded below
        });
        committed = true;
        ctx.target = target;
        ctx.responseHeaders['x-kagami-provider'] = target.provider;
        ctx.responseHeaders['x-kagami-endpoint'] = target.endpoint;
        ctx.responseHeaders['x-kagami-upstream-model'] = target.upstreamModel;
        if (result.kind === 'json') {
          ctx.upstreamMs = (ctx.upstreamMs ?? 0) + result.upstreamMs;
          ctx.usage = result.usage ?? estimateUsage(call.body, answerText(result.body));
          policy.record(target, { ok: true, latencyMs: result.upstreamMs }, ctx);
          return { kind: 'json', status: result.status, body: result.body };
        }
        return { kind: 'stream', status: result.status, events: meterStream(result.events, ctx, call.body, hideUsage) };
      } catch (error) {
        const failure = isGatewayError(error) ? error : new GatewayError('internal_error', 'upstream call failed', { cause: error });
        const latencyMs = performance.now() - attemptStart;
        ctx.upstreamMs = (ctx.upstreamMs ?? 0) + latencyMs;
        if (failure.code === 'client_disconnected') throw failure;
        policy.record(target, { ok: false, latencyMs, error: failure }, ctx);
        lastError = failure;
        if (index + 1 < ctx.candidates.length && policy.shouldFailover(failure, index + 1, ctx)) {
          route.fallbacksTried.push(describe(target));
          route.reasons.push(failure.code);
          continue;
        }
        throw failure;
      }
    }
    throw lastError ?? new GatewayError('upstream_unavailable', 'No upstream target is available for this request (all circuit breakers open).');
  };
}

/**
 * Passes a stream on, minus the usage-only chunk when the client did not ask for it, and counts
 * the answer when the upstream reported no usage (also for a stream cut short after some text).
 */
async function* meterStream(events: AsyncIterable<JsonObject>, ctx: RequestContext, sent: JsonObject, hideUsage: boolean): AsyncGenerator<JsonObject> {
  let text = '';
  let ended = false;
  try {
    for await (const chunk of events) {
      const choices = chunk.choices;
      if (Array.isArray(choices)) {
        if (choices.length === 0 && hideUsage && chunk.usage !== undefined && chunk.usage !== null) continue;
        text += answerText(chunk);
      }
      yield chunk;
    }
    ended = true;
  } finally {
    // The upstream's own usage, if any, is already in ctx.usage (sendToUpstream's onStreamEnd).
    if (ctx.usage === undefined && ctx.target !== undefined && (ended || text !== '')) ctx.usage = estimateUsage(sent, text);
  }
}

/** Usage counted by the tokenizer: what was sent, and the answer text. */
function estimateUsage(sent: JsonObject, answer: string): Usage {
  const promptTokens = estimatePromptTokens(sent);
  const completionTokens = answer === '' ? 0 : estimatePromptTokens({ prompt: answer });
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens, estimated: true };
}

/** The text of an answer or stream chunk: message/delta content, legacy completion text, tool-call arguments. */
function answerText(body: JsonObject): string {
  if (!Array.isArray(body.choices)) return '';
  let text = '';
  for (const choice of body.choices as { message?: AnswerPart; delta?: AnswerPart; text?: unknown }[]) {
    const part = choice.message ?? choice.delta;
    if (typeof part?.content === 'string') text += part.content;
    if (typeof choice.text === 'string') text += choice.text;
    if (Array.isArray(part?.tool_calls)) {
      for (const call of part.tool_calls) if (typeof call?.function?.arguments === 'string') text += call.function.arguments;
    }
  }
  return text;
}

interface AnswerPart {
  content?: unknown;
  tool_calls?: { function?: { arguments?: unknown } }[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
