// The mock upstream: a small OpenAI-compatible server (node:http, no framework, so it stays
// far faster than the gateway in front of it) for demos, tests and the benchmark. It answers
// /v1/chat/completions (stream and not, tool calls), /v1/completions, /v1/embeddings and
// /v1/models, with knobs for latency and chunking and faults (error status + rate, connection
// reset, stalls). `kagami mock-upstream` runs it standalone; `kagami start` without a config
// file runs it in-process as the `kagami-simulator` provider.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  chatCompletion,
  chatCompletionFrames,
  embeddings,
  errorBody,
  modelList,
  textCompletion,
  textCompletionFrames,
} from './openai-replies.js';
import type { Json, ReplyShape } from './openai-replies.js';

/** Where a stall or reset happens in the exchange. */
export type FaultPoint = 'before-headers' | 'after-headers' | 'mid-stream';

export interface MockFaults {
  /** Answer with this HTTP status and an OpenAI error body (default 500 when errorRate > 0). */
  readonly errorStatus?: number;
  /** Fraction of requests (0..1) that get the error; spread evenly (0.5 = every other one). */
  readonly errorRate?: number;
  /** Destroy the connection at this point (`after-headers` = right after the headers). */
  readonly reset?: FaultPoint | null;
  readonly resetRate?: number;
  /** Go silent at this point and keep the connection open until the client gives up. */
  readonly stall?: FaultPoint | null;
  readonly stallRate?: number;
}

export interface MockUpstreamOptions extends Partial<ReplyShape> {
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Delay before the response headers, ms. */
  readonly latencyMs?: number;
  /** Streams: delay between the headers and the first chunk, ms. */
  readonly firstByteMs?: number;
  /** Streams: delay between chunks, ms (0 writes the whole stream at once). */
  readonly chunkDelayMs?: number;
  /** Model ids /v1/models lists. */
  readonly models?: readonly string[];
  /** When set, requests must carry `Authorization: Bearer <apiKey>` or `api-key: <apiKey>`. */
  readonly apiKey?: string | null;
  readonly faults?: MockFaults;
  /** How many recent requests `stats.recent` keeps (default 50). */
  readonly keepRecent?: number;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: unknown;
}

export interface MockUpstreamStats {
  /** Requests received (any path). */
  requests: number;
  /** Requests answered completely. */
  completed: number;
  /** Requests whose client closed the connection before the answer was complete. */
  aborted: number;
  /** Injected faults, by kind. */
  errors: number;
  resets: number;
  stalls: number;
  /** Requests by path. */
  readonly byPath: Record<string, number>;
  /** The most recent requests, oldest first (headers and parsed JSON body). */
  readonly recent: RecordedRequest[];
}

export interface MockUpstream {
  /** Base URL including /v1, e.g. http://127.0.0.1:41234/v1 */
  readonly url: string;
  readonly port: number;
  readonly stats: MockUpstreamStats;
  /** Replace the fault knobs (takes effect for the next request). */
  setFaults(faults: MockFaults): void;
  /** Change latency/shape knobs at run time. */
  setOptions(options: Omit<MockUpstreamOptions, 'host' | 'port' | 'faults'>): void;
  /** Zero the counters and forget recent requests. */
  resetStats(): void;
  /** Stops listening and destroys open connections (stalled ones included). */
  close(): Promise<void>;
}

const DEFAULT_MODELS = ['kagami-sim-chat', 'kagami-sim-embed'];
const DEFAULT_REPLY = 'Hello from the Kagami simulator. This reply was generated locally; no provider was called.';
const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** Spreads a rate evenly over requests: with rate r, the n-th roll fires when floor(n·r) grows. */
class EvenRate {
  private count = 0;
  roll(rate: number): boolean {
    if (rate <= 0) return false;
    if (rate >= 1) return true;
    this.count++;
    return Math.floor(this.count * rate) > Math.floor((this.count - 1) * rate);
  }
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Writes and resolves once the data has left for the socket. A response corks its socket until
 * the next tick, so destroying it in the same tick as a write would drop what was written.
 */
const writeAndFlush = (res: ServerResponse, data: string): Promise<void> =>
  new Promise((resolve) => {
    res.write(data, () => resolve());
  });

function newStats(): MockUpstreamStats {
  return { requests: 0, completed: 0, aborted: 0, errors: 0, resets: 0, stalls: 0, byPath: {}, recent: [] };
}

export async function startMockUpstream(options: MockUpstreamOptions = {}): Promise<MockUpstream> {
  let knobs = {
    latencyMs: 0,
    firstByteMs: 0,
    chunkDelayMs: 0,
    models: DEFAULT_MODELS as readonly string[],
    apiKey: null as string | null,
    shape: {
      reply: DEFAULT_REPLY,
      echo: false,
      chunkCount: null,
      chunkSize: null,
      toolCalls: true,
      embeddingDimensions: 64,
    } as ReplyShape,
  };
  const applyOptions = (o: Omit<MockUpstreamOptions, 'host' | 'port' | 'faults'>): void => {
    knobs = {
      latencyMs: o.latencyMs ?? knobs.latencyMs,
      firstByteMs: o.firstByteMs ?? knobs.firstByteMs,
      chunkDelayMs: o.chunkDelayMs ?? knobs.chunkDelayMs,
      models: o.models ?? knobs.models,
      apiKey: o.apiKey !== undefined ? o.apiKey : knobs.apiKey,
      shape: {
        reply: o.reply ?? knobs.shape.reply,
        echo: o.echo ?? knobs.shape.echo,
        chunkCount: o.chunkCount !== undefined ? o.chunkCount : knobs.shape.chunkCount,
        chunkSize: o.chunkSize !== undefined ? o.chunkSize : knobs.shape.chunkSize,
        toolCalls: o.toolCalls ?? knobs.shape.toolCalls,
        embeddingDimensions: o.embeddingDimensions ?? knobs.shape.embeddingDimensions,
      },
    };
  };
  applyOptions(options);
  let faults: MockFaults = options.faults ?? {};
  const keepRecent = options.keepRecent ?? 50;
  const rates = { error: new EvenRate(), reset: new EvenRate(), stall: new EvenRate() };
  const stats = newStats();

  /** Which fault (if any) this request gets; decided once, when it arrives. */
  function pickFault(): { kind: 'error' | 'reset' | 'stall'; at: FaultPoint } | null {
    if (faults.reset && rates.reset.roll(faults.resetRate ?? 1)) return { kind: 'reset', at: faults.reset };
    if (faults.stall && rates.stall.roll(faults.stallRate ?? 1)) return { kind: 'stall', at: faults.stall };
    if ((faults.errorRate ?? 0) > 0 && rates.error.roll(faults.errorRate ?? 0)) return { kind: 'error', at: 'before-headers' };
    return null;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    stats.requests++;
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    stats.byPath[path] = (stats.byPath[path] ?? 0) + 1;
    let finished = false;
    let selfClosed = false;
    res.on('close', () => {
      if (!finished && !selfClosed) stats.aborted++;
    });
    const send = (status: number, body: Json, headers: Record<string, string> = {}): void => {
      if (res.destroyed) return;
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
      finished = true;
      res.end(text);
      stats.completed++;
    };

    const body = await readJson(req);
    stats.recent.push({ method: req.method ?? 'GET', path, headers: req.headers, body: body.ok ? body.value : null });
    if (stats.recent.length > keepRecent) stats.recent.shift();

    if (knobs.apiKey !== null) {
      const presented = req.headers['api-key'] ?? req.headers.authorization?.replace(/^Bearer /i, '');
      if (presented !== knobs.apiKey) return send(401, errorBody(401, 'Incorrect API key provided.'));
    }

    const route = ROUTES[`${req.method} ${path}`];
    if (!route) return send(404, errorBody(404, `Unknown request URL: ${req.method} ${path}`));
    if (route !== 'models' && !body.ok) return send(400, errorBody(400, `We could not parse the JSON body of your request: ${body.error}`));
    const json = (body.ok ? body.value : {}) as Json;
    if (route !== 'models' && typeof json.model !== 'string') return send(400, errorBody(400, 'you must provide a model parameter'));

    const fault = pickFault();
    const stream = json.stream === true && (route === 'chat' || route === 'completions');
    if (knobs.latencyMs > 0) await delay(knobs.latencyMs);
    if (res.destroyed) return;

    if (fault?.kind === 'error') {
      stats.errors++;
      const status = faults.errorStatus ?? 500;
      return send(status, errorBody(status, `Simulated upstream error (status ${status}).`), status === 429 ? { 'retry-after': '1' } : {});
    }
    const faultAt = (point: FaultPoint): boolean => {
      if (fault?.at !== point) return false;
      if (fault.kind === 'reset') {
        stats.resets++;
        selfClosed = true;
        req.socket.destroy();
      } else {
        stats.stalls++;
      }
      return true;
    };
    if (faultAt('before-headers')) return;

    if (!stream) {
      const reply =
        route === 'chat' ? chatCompletion(knobs.shape, json)
        : route === 'completions' ? textCompletion(knobs.shape, json)
        : route === 'embeddings' ? embeddings(knobs.shape, json)
        : modelList(knobs.models);
      if (fault) {
        // A fault after the headers of a JSON answer: headers, then (mid-stream) half the body.
        const text = JSON.stringify(reply);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        if (fault.at === 'mid-stream') await writeAndFlush(res, text.slice(0, Math.floor(text.length / 2)));
        else res.flushHeaders();
        faultAt(fault.at);
        return;
      }
      return send(200, reply);
    }

    const frames = route === 'chat' ? chatCompletionFrames(knobs.shape, json) : textCompletionFrames(knobs.shape, json);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.flushHeaders();
    if (faultAt('after-headers')) return;
    if (knobs.firstByteMs > 0) await delay(knobs.firstByteMs);
    const faultIndex = fault?.at === 'mid-stream' ? Math.max(1, Math.floor(frames.length / 2)) : -1;
    if (knobs.chunkDelayMs <= 0 && faultIndex < 0) {
      finished = true;
      res.end(frames.join(''));
      stats.completed++;
      return;
    }
    for (let i = 0; i < frames.length; i++) {
      if (res.destroyed) return;
      if (i === faultIndex && faultAt('mid-stream')) return;
      if (i > 0 && knobs.chunkDelayMs > 0) await delay(knobs.chunkDelayMs);
      if (res.destroyed) return;
      // The half before a mid-stream reset must reach the client before the reset does.
      if (i === faultIndex - 1) await writeAndFlush(res, frames[i] as string);
      else res.write(frames[i]);
    }
    finished = true;
    res.end();
    stats.completed++;
  }

  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify(errorBody(500, `mock upstream failed: ${String(error)}`)));
      } else {
        res.destroy();
      }
    });
  });
  server.headersTimeout = 0;
  server.requestTimeout = 0;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${hostForUrl}:${address.port}/v1`,
    port: address.port,
    stats,
    setFaults(next) {
      faults = next;
    },
    setOptions: applyOptions,
    resetStats() {
      Object.assign(stats, { requests: 0, completed: 0, aborted: 0, errors: 0, resets: 0, stalls: 0 });
      for (const key of Object.keys(stats.byPath)) delete stats.byPath[key];
      stats.recent.length = 0;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

const ROUTES: Record<string, 'chat' | 'completions' | 'embeddings' | 'models' | undefined> = {
  'POST /v1/chat/completions': 'chat',
  'POST /v1/completions': 'completions',
  'POST /v1/embeddings': 'embeddings',
  'GET /v1/models': 'models',
};

type JsonResult = { ok: true; value: unknown } | { ok: false; error: string };

async function readJson(req: IncomingMessage): Promise<JsonResult> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return { ok: false, error: 'body too large' };
    chunks.push(chunk);
  }
  if (size === 0) return { ok: false, error: 'empty body' };
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks, size).toString('utf8')) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}
