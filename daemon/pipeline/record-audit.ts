// The outermost stage: sees every outcome (answer, stream, error) and hands one audit row to
// the writer when the answer is complete (JSON: before it is sent; stream: before the final
// [DONE]). Whether the answer then waits for the row's COMMIT is the writer's `audit.commit`
// setting (daemon/audit/audit-writer.ts): with `after_response` (default) append() resolves at
// once and the row joins the group commit right after; with `before_response` it resolves after
// the COMMIT, so even a crash never loses the row of an answered request.
// Only SHA-256 hashes of the prompt and the answer text are kept, never the text.
import { createHash, hash } from 'node:crypto';
import { GatewayError, isGatewayError } from '../../shared/errors.js';
import type { AuditRecord } from '../../shared/schemas/audit.js';
import type { Config } from '../../shared/schemas/config.js';
import type { Price } from '../../shared/schemas/price.js';
import type { AuditAppender } from '../deps.js';
import type { RequestEvents } from '../events/channels.js';
import { costUsd } from '../policy/price.js';
import type { JsonObject, Outcome, RequestContext, Stage } from './context.js';
import { jsonBytes } from './json-bytes.js';
import type { RouteAnnotation } from './forward-upstream.js';

export interface RecordAuditDeps {
  readonly auditWriter: AuditAppender;
  readonly events: Pick<RequestEvents, 'start' | 'publishStart' | 'publishEnd'>;
  /** Prices per upstream model, for cost_usd when no stage (budgets) set ctx.costUsd. */
  readonly config: Pick<Config, 'models'>;
}

/** What the answering target cost, from the configured price of its provider + upstream model. */
function costOf(ctx: RequestContext, prices: ReadonlyMap<string, Price>): number | null {
  if (ctx.costUsd !== undefined) return ctx.costUsd;
  if (ctx.usage === undefined || ctx.target === undefined) return null;
  const price = prices.get(`${ctx.target.provider}\n${ctx.target.upstreamModel}`);
  if (price === undefined) return null;
  return costUsd(price, ctx.usage);
}

function sha256(text: string): string {
  return hash('sha256', text, 'hex'); // one-shot: no Hash object per request
}

/** The part of the request that is "the prompt": messages (chat), prompt, or input. */
function requestHash(ctx: RequestContext): string | null {
  const body = ctx.request.body;
  const prompt = body.messages ?? body.prompt ?? body.input;
  if (prompt === undefined) return null;
  // The same bytes as JSON.stringify(prompt), without its garbage (json-bytes.ts).
  const bytes = jsonBytes(prompt);
  return bytes === undefined ? sha256(JSON.stringify(prompt)) : hash('sha256', bytes, 'hex');
}

/**
 * Collects the answer text per choice index, so a streamed answer hashes exactly like the
 * same answer sent as one JSON body: choice texts joined in index order.
 */
class AnswerText {
  readonly #parts: string[][] = [];

  add(index: number, text: string): void {
    (this.#parts[index] ??= []).push(text);
  }

  addChoices(body: JsonObject, streamed: boolean): void {
    const choices = body.choices;
    if (!Array.isArray(choices)) return;
    for (const choice of choices as Record<string, unknown>[]) {
      const index = typeof choice.index === 'number' ? choice.index : 0;
      const holder = (streamed ? choice.delta : choice.message) as Record<string, unknown> | undefined;
      const text = holder?.content ?? choice.text;
      if (typeof text === 'string' && text !== '') this.add(index, text);
      const toolCalls = holder?.tool_calls;
      if (Array.isArray(toolCalls)) {
        for (const call of toolCalls as { function?: { name?: unknown; arguments?: unknown } }[]) {
          if (typeof call.function?.name === 'string') this.add(index, call.function.name);
          if (typeof call.function?.arguments === 'string') this.add(index, call.function.arguments);
        }
      }
    }
  }

  hash(): string | null {
    if (this.#parts.length === 0) return null;
    const only = this.#parts.length === 1 ? this.#parts[0] : undefined;
    if (only?.length === 1) return sha256(only[0] as string); // the usual answer: one text
    const hasher = createHash('sha256');
    for (const parts of this.#parts) if (parts !== undefined) for (const part of parts) hasher.update(part);
    return hasher.digest('hex');
  }
}

/**
 * The answer hash of a JSON answer, as AnswerText computes it; the usual answer (one choice,
 * plain text, no tool calls) is hashed without collecting its parts (allocation per request).
 */
function jsonAnswerHash(body: JsonObject): string | null {
  const choices = body.choices;
  const choice: unknown = Array.isArray(choices) && choices.length === 1 ? choices[0] : undefined;
  const message = typeof choice === 'object' && choice !== null ? (choice as Record<string, unknown>).message : undefined;
  if (typeof message === 'object' && message !== null) {
    const { content, tool_calls: toolCalls } = message as Record<string, unknown>;
    if (typeof content === 'string' && !Array.isArray(toolCalls)) return content === '' ? null : sha256(content);
  }
  const answer = new AnswerText();
  answer.addChoices(body, false);
  return answer.hash();
}

function buildRecord(ctx: RequestContext, status: number, requestSha: string | null, responseSha: string | null, costUsd: number | null): AuditRecord {
  const latency = performance.now() - ctx.receivedAt;
  const upstream = ctx.upstreamMs;
  const route = ctx.annotations.route as RouteAnnotation | undefined;
  const policy = ctx.annotations.policy as { rule?: unknown } | undefined;
  // Exact counts per entity type and action (a type can be pseudonymized in the prompt and masked in the answer).
  const redaction = ctx.annotations.redaction as { tally?: Record<string, Record<string, number>> } | undefined;
  const cache = ctx.annotations.cache as { hit?: boolean } | undefined;
  const redactions: Record<string, number> = {};
  const tally = redaction?.tally;
  if (tally !== undefined) {
    for (const [type, byAction] of Object.entries(tally)) {
      for (const [action, count] of Object.entries(byAction)) redactions[`${type}:${action}`] = count;
    }
  }
  return {
    trace_id: ctx.traceId,
    ts: ctx.startedAt,
    tenant: ctx.principal?.tenant ?? null,
    user: ctx.principal?.user ?? null,
    key_id: ctx.principal?.keyId ?? null,
    api: ctx.api,
    requested_model: typeof ctx.request.body.model === 'string' ? ctx.request.body.model : null,
    provider: ctx.target?.provider ?? null,
    endpoint: ctx.target?.endpoint ?? null,
    upstream_model: ctx.target?.upstreamModel ?? null,
    status,
    error_code: ctx.error?.code ?? null,
    stream: ctx.request.body.stream === true,
    prompt_tokens: ctx.usage?.promptTokens ?? null,
    completion_tokens: ctx.usage?.completionTokens ?? null,
    total_tokens: ctx.usage?.totalTokens ?? null,
    latency_ms: latency,
    upstream_ms: upstream ?? null,
    gateway_ms: upstream === undefined ? latency : Math.max(0, latency - upstream),
    request_sha256: requestSha,
    response_sha256: responseSha,
    rule: typeof policy?.rule === 'string' ? policy.rule : null,
    cost_usd: costUsd,
    cache_hit: cache?.hit === true,
    fallbacks: route?.fallbacksTried ?? [],
    redactions,
    decision: (ctx.annotations.policy as Record<string, unknown> | undefined) ?? null,
  };
}

/**
 * What a stage's error is recorded and answered as: a GatewayError as it is; anything else is
 * `client_disconnected` when the client had gone (work abandoned on its abort signal, such as a
 * PII scan, rejects with the signal's AbortError), else `internal_error`.
 */
function asGatewayError(ctx: RequestContext, error: unknown, what: string): GatewayError {
  if (isGatewayError(error)) return error;
  if (ctx.signal.aborted) return new GatewayError('client_disconnected', 'the client closed the connection', { cause: error });
  return new GatewayError('internal_error', what, { cause: error });
}

export function createRecordAudit(deps: RecordAuditDeps): Stage {
  const { auditWriter, events } = deps;
  const prices = new Map<string, Price>();
  for (const model of deps.config.models) if (model.price !== undefined) prices.set(`${model.provider}\n${model.model}`, model.price);

  async function finish(ctx: RequestContext, status: number, requestSha: string | null, responseSha: string | null): Promise<void> {
    const record = buildRecord(ctx, status, requestSha, responseSha, costOf(ctx, prices));
    await auditWriter.append(record);
    events.publishEnd(record);
  }

  async function* audited(ctx: RequestContext, inner: AsyncIterable<JsonObject>, status: number, requestSha: string | null) {
    const answer = new AnswerText();
    let failure: GatewayError | undefined;
    try {
      for await (const chunk of inner) {
        answer.addChoices(chunk, true);
        yield chunk;
      }
    } catch (error) {
      failure = asGatewayError(ctx, error, 'stream failed');
      ctx.error = failure;
      throw failure;
    } finally {
      // Runs on normal end (before the route writes [DONE]), on failure, and on client
      // disconnect (the route calls return()). A mid-stream failure keeps the 200 already
      // sent as the HTTP status but records the error code.
      if (failure === undefined && ctx.signal.aborted) ctx.error = new GatewayError('client_disconnected', 'the client closed the connection');
      await finish(ctx, ctx.error === undefined ? status : ctx.error.status, requestSha, answer.hash());
    }
  }

  return async function recordAudit(ctx, next) {
    const requestSha = requestHash(ctx);
    if (events.start.hasSubscribers) events.publishStart({
      trace_id: ctx.traceId,
      ts: ctx.startedAt,
      api: ctx.api,
      requested_model: typeof ctx.request.body.model === 'string' ? ctx.request.body.model : null,
    });
    let outcome: Outcome;
    try {
      outcome = await next();
    } catch (error) {
      const failure = asGatewayError(ctx, error, 'internal error');
      ctx.error = failure;
      await finish(ctx, failure.status, requestSha, null);
      throw failure;
    }
    if (outcome.kind === 'stream') {
      return { kind: 'stream', status: outcome.status, events: audited(ctx, outcome.events, outcome.status, requestSha) };
    }
    await finish(ctx, outcome.status, requestSha, jsonAnswerHash(outcome.body));
    return outcome;
  };
}
