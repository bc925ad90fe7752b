// The renderer's one way to the daemon: its admin HTTP API and the live event stream, with
// the admin token as a bearer. No Electron here, so the same UI runs in a plain browser at
// http://127.0.0.1:PORT/ui (same origin) and in the desktop window (main hands url + token).
// The event stream is read with fetch (EventSource cannot send an Authorization header).

import type { RequestEvent } from '../shared/schemas/events.js';

export class DaemonHttpError extends Error {
  override readonly name = 'DaemonHttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type StreamState = 'connecting' | 'open' | 'down' | 'unauthorized';

export interface EventStreamHandlers {
  /** All events parsed from one network read: callers batch renders, not events. */
  onEvents(events: RequestEvent[]): void;
  onState(state: StreamState): void;
}

type Query = Record<string, string | number | undefined | null>;

export interface DaemonClient {
  readonly url: string;
  get<T>(path: string, query?: Query): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  del<T>(path: string): Promise<T>;
  /** Opens GET /admin/events and keeps it open (reconnecting with backoff) until the returned function is called. */
  subscribeEvents(handlers: EventStreamHandlers): () => void;
}

export function createDaemonClient(connection: { url: string; token: string }): DaemonClient {
  const base = connection.url.replace(/\/+$/, '');
  const headers = { authorization: `Bearer ${connection.token}` };

  const request = async <T>(method: string, path: string, query?: Query, body?: unknown): Promise<T> => {
    const url = new URL(base + path, location.href);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
    const res = await fetch(url, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
    const text = await res.text();
    const json: unknown = text === '' ? null : safeJson(text);
    if (!res.ok) {
      const message = (json as { error?: { message?: string } } | null)?.error?.message ?? `${res.status} ${res.statusText}`;
      throw new DaemonHttpError(res.status, message);
    }
    return json as T;
  };

  return {
    url: base,
    get: (path, query) => request('GET', path, query),
    post: (path, body) => request('POST', path, undefined, body ?? {}),
    del: (path) => request('DELETE', path),
    subscribeEvents(handlers) {
      const controller = new AbortController();
      let attempt = 0;
      const run = async (): Promise<void> => {
        while (!controller.signal.aborted) {
          handlers.onState('connecting');
          try {
            const res = await fetch(`${base}/admin/events`, {
              headers: { ...headers, accept: 'text/event-stream' },
              signal: controller.signal,
              credentials: 'omit',
              cache: 'no-store',
            });
            if (res.status === 401 || res.status === 403) {
              handlers.onState('unauthorized');
              return;
            }
            if (!res.ok || !res.body) throw new DaemonHttpError(res.status, 'event stream refused');
            handlers.onState('open');
            attempt = 0;
            await readEventStream(res.body, handlers.onEvents);
          } catch (error) {
            if (controller.signal.aborted) return;
            void error;
          }
          handlers.onState('down');
          const delay = Math.min(10_000, 250 * 2 ** attempt++);
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
      };
      void run();
      return () => controller.abort();
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * Parses an SSE byte stream (WHATWG framing: blank-line separated, `event:`/`data:` fields)
 * and hands over the `request` events of each read together.
 */
export async function readEventStream(body: ReadableStream<Uint8Array>, onEvents: (events: RequestEvent[]) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    const batch: RequestEvent[] = [];
    let boundary: RegExpExecArray | null;
    while ((boundary = FRAME_END.exec(buffer)) !== null) {
      const frame = buffer.slice(0, boundary.index);
      buffer = buffer.slice(boundary.index + boundary[0].length);
      const parsed = parseFrame(frame);
      if (parsed && parsed.event === 'request') {
        const data = safeJson(parsed.data);
        if (data && typeof data === 'object') batch.push(data as RequestEvent);
      }
    }
    if (batch.length > 0) onEvents(batch);
  }
}

const FRAME_END = /\r?\n\r?\n/;

function parseFrame(frame: string): { event: string; data: string } | null {
  let event = 'message';
  const data: string[] = [];
  for (const line of frame.split(/\r?\n/)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return data.length === 0 ? null : { event, data: data.join('\n') };
}
