// Writes an OpenAI-shaped stream to the client byte for byte as OpenAI frames it:
// `data: <JSON>\n\n` per chunk (the upstream's own text when no stage changed the chunk, else
// compact JSON), then `data: [DONE]\n\n`. A failure after the stream
// started cannot change the 200 already sent: it is written as one OpenAI-style error event
// `data: {"error":{…}}\n\n` and the stream ends without [DONE] (the openai SDKs raise it as
// an APIError). Backpressure: waits for 'drain' when the socket buffer is full.
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import { GatewayError, isGatewayError } from '../../shared/errors.js';
import type { JsonObject } from '../pipeline/context.js';
import { verbatimText } from '../pipeline/verbatim-json.js';

const DONE = 'data: [DONE]\n\n';

function waitForDrain(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}

/** How one surface frames its events, its normal end, and a failure after the stream started. */
export interface SseFraming<T> {
  readonly frame: (event: T) => string;
  /** Written after the last event (`data: [DONE]` for OpenAI chat; nothing for named events). */
  readonly end: string;
  readonly errorFrames: (failure: GatewayError) => string;
}

const OPENAI_FRAMING: SseFraming<JsonObject> = {
  // A chunk no stage changed is written as the upstream's own `data:` text (no re-serializing).
  frame: (chunk) => `data: ${verbatimText(chunk) ?? JSON.stringify(chunk)}\n\n`,
  end: DONE,
  errorFrames: (failure) => `data: ${JSON.stringify(failure.toOpenAiBody())}\n\n`,
};

export function sendSse(
  reply: FastifyReply,
  status: number,
  events: AsyncIterable<JsonObject>,
  extraHeaders: Readonly<Record<string, string>>,
  onUnexpected: (error: unknown) => void,
): Promise<void> {
  return writeSseStream(reply, status, extraHeaders, events, OPENAI_FRAMING, onUnexpected);
}

/** Writes any SSE surface: headers, framed events with backpressure, its end or its error frames. */
export async function writeSseStream<T>(
  reply: FastifyReply,
  status: number,
  extraHeaders: Readonly<Record<string, string>>,
  events: AsyncIterable<T>,
  framing: SseFraming<T>,
  onUnexpected: (error: unknown) => void,
): Promise<void> {
  reply.hijack();
  const response = reply.raw;
  const headers: Record<string, string | number | string[]> = {};
  const replyHeaders = reply.getHeaders();
  for (const name in replyHeaders) {
    const value = replyHeaders[name];
    if (value !== undefined) headers[name] = value as string | number | string[];
  }
  Object.assign(headers, extraHeaders);
  headers['content-type'] = 'text/event-stream; charset=utf-8';
  headers['cache-control'] = 'no-cache';
  headers.connection = 'keep-alive';
  response.writeHead(status, headers);

  // Chunks decoded from one upstream read arrive in the same tick: their frames are gathered
  // and written once when the tick ends (one write and one chunked-encoding frame per upstream
  // read, not one per chunk). The next chunk waits while the socket buffer is full.
  let pending = '';
  const flush = (): void => {
    const frames = pending;
    pending = '';
    if (frames !== '' && !response.destroyed) response.write(frames);
  };
  const iterator = events[Symbol.asyncIterator]();
  try {
    for (;;) {
      if (response.writableNeedDrain && !response.destroyed) await waitForDrain(response);
      const next = await iterator.next();
      if (next.done === true) break;
      if (response.destroyed) break;
      if (pending === '') process.nextTick(flush);
      pending += framing.frame(next.value);
    }
    if (!response.destroyed) response.end(pending + framing.end);
    pending = '';
  } catch (error) {
    const failure = isGatewayError(error) ? error : new GatewayError('internal_error', 'The stream failed inside the gateway.');
    if (!isGatewayError(error)) onUnexpected(error);
    if (!response.destroyed && failure.code !== 'client_disconnected') {
      response.end(pending + framing.errorFrames(failure));
      pending = '';
    } else {
      response.destroy();
    }
  } finally {
    // Client gone or loop left early: let the inner stages clean up (abort upstream, audit).
    if (response.destroyed) await iterator.return?.();
  }
}
