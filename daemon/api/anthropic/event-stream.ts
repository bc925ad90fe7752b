// Writes named server-sent events (`event: <name>\ndata: <json>\n\n`), the framing of
// Anthropic Messages streams and OpenAI Responses streams (core-http's sendSse writes the
// chat-completions framing). A failure after the stream started is written as the surface's
// own error event(s) and ends the stream. Backpressure: waits for 'drain'.
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import { GatewayError, isGatewayError } from '../../../shared/errors.js';
import type { JsonObject } from '../../pipeline/context.js';

export interface NamedEvent {
  readonly event: string;
  readonly data: JsonObject;
}

function frame(event: NamedEvent): string {
  return `event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

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

export async function sendNamedEvents(
  reply: FastifyReply,
  status: number,
  headers: Readonly<Record<string, string>>,
  events: AsyncIterable<NamedEvent>,
  errorEvents: (error: GatewayError) => readonly NamedEvent[],
  onUnexpected: (error: unknown) => void,
): Promise<void> {
  reply.hijack();
  const response = reply.raw;
  const all: Record<string, string | number | string[]> = {};
  const replyHeaders = reply.getHeaders();
  for (const name in replyHeaders) {
    const value = replyHeaders[name];
    if (value !== undefined) all[name] = value as string | number | string[];
  }
  Object.assign(all, headers, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  response.writeHead(status, all);
  const iterator = events[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done === true || response.destroyed) break;
      if (!response.write(frame(next.value))) await waitForDrain(response);
    }
    if (!response.destroyed) response.end();
  } catch (error) {
    const failure = isGatewayError(error) ? error : new GatewayError('internal_error', 'The stream failed inside the gateway.');
    if (!isGatewayError(error)) onUnexpected(error);
    if (!response.destroyed && failure.code !== 'client_disconnected') response.end(errorEvents(failure).map(frame).join(''));
    else response.destroy();
  } finally {
    if (response.destroyed) await iterator.return?.();
  }
}
