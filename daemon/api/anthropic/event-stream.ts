// Named server-sent events (`event: <name>\ndata: <json>\n\n`), the framing of Anthropic
// Messages streams and OpenAI Responses streams, written by the shared SSE writer
// (daemon/http/sse.ts). A failure after the stream started is written as the surface's own
// error event(s) and ends the stream.
import type { FastifyReply } from 'fastify';
import type { GatewayError } from '../../../shared/errors.js';
import { writeSseStream, type SseFraming } from '../../http/sse.js';
import type { JsonObject } from '../../pipeline/context.js';

export interface NamedEvent {
  readonly event: string;
  readonly data: JsonObject;
}

function frame(event: NamedEvent): string {
  return `event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

export function sendNamedEvents(
  reply: FastifyReply,
  status: number,
  headers: Readonly<Record<string, string>>,
  events: AsyncIterable<NamedEvent>,
  errorEvents: (error: GatewayError) => readonly NamedEvent[],
  onUnexpected: (error: unknown) => void,
): Promise<void> {
  const framing: SseFraming<NamedEvent> = { frame, end: '', errorFrames: (failure) => errorEvents(failure).map(frame).join('') };
  return writeSseStream(reply, status, headers, events, framing, onUnexpected);
}
