// One HTTP exchange with one upstream: the adapter's wire builds the request, the pool sends
// it, and the answer comes back OpenAI-shaped (a JSON body, or a lazily consumed stream of
// chunk objects). Timeouts: connect / first byte / between chunks are the pool's; the total
// budget and the client's disconnect abort the request through one AbortController.
import { EventEmitter } from 'node:events';
import type { Dispatcher } from 'undici';
import type { GatewayError } from '../../shared/errors.js';
import type { JsonObject, Usage } from '../pipeline/context.js';
import type { WireCall } from '../providers/types.js';
import { mapTransportError, TotalTimeoutError } from './transport-errors.js';
import type { Upstream } from './upstreams.js';

export interface UpstreamJson {
  readonly kind: 'json';
  readonly status: number;
  readonly body: JsonObject;
  readonly usage: Usage | undefined;
  /** ms from sending until the whole body was read. */
  readonly upstreamMs: number;
}

export interface UpstreamStream {
  readonly kind: 'stream';
  readonly status: number;
  /** Chunk objects; ending the iteration early (return()) aborts the upstream request. */
  readonly events: AsyncIterable<JsonObject>;
}

/** Called once when a stream ends (normally or not) with what was seen. */
export type StreamEnd = (usage: Usage | undefined, upstreamMs: number, error: GatewayError | undefined) => void;

export interface SendOptions {
  /** The client's signal: aborted when the client disconnects. */
  readonly signal: AbortSignal;
  /** Extra request headers (traceparent). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly onStreamEnd?: StreamEnd;
}

function lowerCaseHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    if (typeof value === 'string') out[name] = value;
    else if (Array.isArray(value)) out[name] = value.join(', ');
  }
  return out;
}

/**
 * Aborts one attempt: when the client goes away or the total budget is spent. undici takes an
 * EventEmitter with an 'abort' event as a request's signal; this is used instead of an
 * AbortController because creating an AbortSignal costs 2-5 µs in Node 20, and the request's
 * own signal (ctx.signal) already is one. It is its own listener on the client's signal
 * (handleEvent) and its timer calls a module-level function: no closures per request.
 */
class AttemptAbort extends EventEmitter {
  aborted = false;
  reason: unknown = undefined;
  readonly #clientSignal: AbortSignal;
  readonly #timer: NodeJS.Timeout;

  constructor(clientSignal: AbortSignal, totalMs: number) {
    super();
    this.#clientSignal = clientSignal;
    if (clientSignal.aborted) this.abort(clientSignal.reason);
    else clientSignal.addEventListener('abort', this, ONCE);
    this.#timer = setTimeout(abortOnTotalTimeout, totalMs, this, totalMs);
    this.#timer.unref();
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit('abort');
  }

  /** The client's signal aborted. */
  handleEvent(): void {
    this.abort(this.#clientSignal.reason);
  }

  /** The attempt is over: stop listening and cancel the timer. */
  release(): void {
    clearTimeout(this.#timer);
    this.#clientSignal.removeEventListener('abort', this);
  }
}

const ONCE = { once: true } as const;

function abortOnTotalTimeout(attempt: AttemptAbort, totalMs: number): void {
  attempt.abort(new TotalTimeoutError(totalMs));
}

export async function sendToUpstream(upstream: Upstream, call: WireCall, options: SendOptions): Promise<UpstreamJson | UpstreamStream> {
  const wire = upstream.adapter.wire;
  const provider = upstream.connection.id;
  const startedAt = performance.now();

  // One abort per attempt: by the client going away or the total budget.
  const clientSignal = options.signal;
  const attempt = new AttemptAbort(clientSignal, upstream.timeouts.totalMs);

  let response: Dispatcher.ResponseData;
  try {
    const built = wire.buildRequest(call);
    // Static auth headers are added below; adapters that sign each request (SigV4, OAuth) do it here.
    const auth = upstream.adapter.auth;
    const request = auth.kind === 'sign' ? await auth.sign(built, new URL(upstream.basePath + built.path, upstream.baseUrl.origin), upstream.connection) : built;
    response = await upstream.pool.request({
      method: request.method,
      path: upstream.basePath + request.path,
      headers: { ...request.headers, ...upstream.authHeaders, ...options.headers },
      body: request.body,
      signal: attempt,
    });
  } catch (error) {
    attempt.release();
    throw mapTransportError(error, provider, clientSignal, attempt);
  }

  const { statusCode, body } = response;
  if (statusCode >= 400 || !call.stream) {
    let text: string;
    try {
      text = await body.text();
    } catch (error) {
      attempt.release();
      throw mapTransportError(error, provider, clientSignal, attempt);
    }
    attempt.release();
    if (statusCode >= 400) throw wire.mapError(statusCode, text, lowerCaseHeaders(response.headers), call);
    const parsed = wire.parseResponse(text, call);
    return { kind: 'json', status: statusCode, body: parsed.body, usage: parsed.usage, upstreamMs: performance.now() - startedAt };
  }

  const decoder = wire.createStreamDecoder(call);
  const onStreamEnd = options.onStreamEnd;
  async function* events(): AsyncGenerator<JsonObject> {
    let failure: GatewayError | undefined;
    try {
      for await (const bytes of body) {
        const chunks = decoder.push(bytes as Uint8Array);
        for (let i = 0; i < chunks.length; i++) yield chunks[i] as JsonObject;
      }
      const rest = decoder.end();
      for (let i = 0; i < rest.length; i++) yield rest[i] as JsonObject;
    } catch (error) {
      failure = mapTransportError(error, provider, clientSignal, attempt);
      throw failure;
    } finally {
      attempt.release();
      // Stopped early (client gone, or a stage ended the stream): stop the upstream too.
      if (!body.destroyed) body.destroy();
      onStreamEnd?.(decoder.usage(), performance.now() - startedAt, failure);
    }
  }
  // Pull the first chunk before committing: a stream that fails before its first chunk
  // (reset or stall right after the headers) is still a failed attempt the caller may retry
  // elsewhere, because nothing has reached the client yet.
  const stream = events();
  const first = await stream.next();
  return { kind: 'stream', status: statusCode, events: resumeStream(first, stream) };
}

/**
 * The stream with its already pulled first chunk put back in front. A plain iterator, not one
 * more async generator: each generator layer costs promise hops per chunk on the hot path.
 */
function resumeStream(first: IteratorResult<JsonObject>, rest: AsyncGenerator<JsonObject>): AsyncIterable<JsonObject> {
  let held: IteratorResult<JsonObject> | null = first;
  const iterator: AsyncIterator<JsonObject> = {
    next() {
      if (held === null) return rest.next();
      const result = held;
      held = null;
      return Promise.resolve(result);
    },
    // Ended early (also while the first chunk is still held): end the upstream stream too.
    async return() {
      held = null;
      await rest.return(undefined);
      return { done: true, value: undefined };
    },
  };
  return { [Symbol.asyncIterator]: () => iterator };
}
