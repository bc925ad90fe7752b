// OpenTelemetry traces of the request pipeline. traceStage() wraps each stage of the list in
// daemon/pipeline/index.ts: the outermost one (recordAudit) becomes the request's SERVER span,
// the others child spans named for what they do (auth, policy, limits, redaction, cache,
// route, upstream). A child span covers the stage's own work: from entering it until it hands
// over to the next stage (or, for the innermost upstream call, until the answer, a stream
// included, has ended). The request span ends when the client has the whole answer.
// Span ids: the request span's id is the one in the traceparent this gateway returns and
// sends upstream, so the caller's trace, ours and the provider's line up; its parent is the
// caller's span when the request came with a traceparent.
import { randomBytes } from 'node:crypto';
import { isGatewayError } from '../../shared/errors.js';
import type { Outcome, RequestContext, Stage } from '../pipeline/context.js';
import { attributes, unixNano } from '../siem/otlp-json.js';
import type { OtlpSpan, TraceExporter } from './otlp-trace-exporter.js';

const SPAN_NAMES: Readonly<Record<string, string>> = {
  authenticate: 'auth',
  applyPolicy: 'policy',
  enforceLimits: 'limits',
  redactPrompt: 'redaction',
  serveFromCache: 'cache',
  selectRoute: 'route',
  forwardUpstream: 'upstream',
};

const KIND = { internal: 1, server: 2, client: 3 } as const;
const OPERATION: Readonly<Record<string, string>> = { chat: 'chat', completion: 'text_completion', embedding: 'embeddings' };
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

const nowMs = () => performance.timeOrigin + performance.now();
const spanIdOf = (traceparent: string) => traceparent.split('-')[2] ?? randomBytes(8).toString('hex');

export interface Tracer {
  /** Wraps one stage of the pipeline list (its index: 0 is the outermost). */
  traceStage(stage: Stage, index: number): Stage;
}

export function createTracer(exporter: Pick<TraceExporter, 'export'>): Tracer {
  function emit(ctx: RequestContext, span: Omit<OtlpSpan, 'traceId' | 'endTimeUnixNano' | 'status'>, error: unknown): void {
    exporter.export({
      ...span,
      traceId: ctx.traceId,
      endTimeUnixNano: unixNano(nowMs()),
      status: error === undefined ? { code: 0 } : { code: 2, message: error instanceof Error ? error.message : String(error) },
    });
  }

  /** Calls `end` once the outcome is over: now for JSON, when the stream finishes for a stream. */
  function whenOver(outcome: Outcome, end: (error?: unknown) => void): Outcome {
    if (outcome.kind !== 'stream') {
      end();
      return outcome;
    }
    const inner = outcome.events;
    outcome.events = (async function* traced() {
      let failure: unknown;
      try {
        yield* inner;
      } catch (error) {
        failure = error;
        throw error;
      } finally {
        end(failure);
      }
    })();
    return outcome;
  }

  function requestSpan(stage: Stage): Stage {
    return async function tracedRequest(ctx, next) {
      const start = unixNano(performance.timeOrigin + ctx.receivedAt);
      // As the client asked: later stages may rewrite the body for the upstream.
      const model = ctx.request.body.model;
      const stream = ctx.request.body.stream === true;
      const incoming = typeof ctx.headers.traceparent === 'string' ? TRACEPARENT.exec(ctx.headers.traceparent.trim()) : null;
      const parentSpanId = incoming !== null && incoming[1] === ctx.traceId ? incoming[2] : undefined;
      const end = (status: number, error?: unknown) => {
        const operation = OPERATION[ctx.request.op] ?? ctx.api;
        const failure = error ?? ctx.error;
        emit(ctx, {
          spanId: spanIdOf(ctx.traceparent),
          ...(parentSpanId ? { parentSpanId } : {}),
          name: `${operation} ${model}`,
          kind: KIND.server,
          startTimeUnixNano: start,
          attributes: attributes({
            'gen_ai.operation.name': operation,
            'gen_ai.request.model': model,
            'gen_ai.system': ctx.target?.provider,
            'gen_ai.response.model': ctx.target?.upstreamModel,
            'gen_ai.usage.input_tokens': ctx.usage?.promptTokens,
            'gen_ai.usage.output_tokens': ctx.usage?.completionTokens,
            'http.response.status_code': status,
            'error.type': isGatewayError(failure) ? failure.code : undefined,
            'kagami.api': ctx.api,
            'kagami.tenant': ctx.principal?.tenant,
            'kagami.user': ctx.principal?.user,
            'kagami.endpoint': ctx.target?.endpoint,
            'kagami.cost_usd': ctx.costUsd,
            'kagami.stream': stream,
          }),
        }, status >= 500 ? (failure ?? new Error(`HTTP ${status}`)) : undefined);
      };
      try {
        const outcome = await stage(ctx, next);
        return whenOver(outcome, (error) => end(error === undefined ? outcome.status : isGatewayError(error) ? error.status : 500, error));
      } catch (error) {
        end(isGatewayError(error) ? error.status : 500, error);
        throw error;
      }
    };
  }

  function childSpan(stage: Stage, name: string): Stage {
    const kind = name === 'upstream' ? KIND.client : KIND.internal;
    return async function tracedStage(ctx, next) {
      const spanId = randomBytes(8).toString('hex');
      const start = unixNano(nowMs());
      let ended = false;
      const end = (error?: unknown) => {
        if (ended) return;
        ended = true;
        emit(ctx, {
          spanId,
          parentSpanId: spanIdOf(ctx.traceparent),
          name: `kagami.${name}`,
          kind,
          startTimeUnixNano: start,
          attributes: attributes(
            name === 'upstream'
              ? { 'gen_ai.system': ctx.target?.provider, 'gen_ai.request.model': ctx.target?.upstreamModel, 'kagami.endpoint': ctx.target?.endpoint, 'kagami.upstream_ms': ctx.upstreamMs, 'error.type': isGatewayError(error) ? error.code : undefined }
              : { 'error.type': isGatewayError(error) ? error.code : undefined },
          ),
        }, error);
      };
      try {
        const outcome = await stage(ctx, () => {
          end(); // this stage's own work is done; what follows is the next stage's span
          return next();
        });
        if (ended) return outcome;
        return whenOver(outcome, end);
      } catch (error) {
        end(error);
        throw error;
      }
    };
  }

  return {
    traceStage(stage, index) {
      if (index === 0) return requestSpan(stage);
      return childSpan(stage, SPAN_NAMES[stage.name] ?? stage.name);
    },
  };
}
