// GET /admin/events: the live request stream for the desktop app and the web UI. Each
// finished request arrives as `event: request` with a RequestEvent (shared/schemas/events.ts)
// as data; `: ping` comments keep proxies and idle timers from closing the connection.
// A client that cannot keep up (over 1 MiB unsent) is disconnected rather than buffered.
import type { FastifyPluginAsync } from 'fastify';
import type { RequestEvent } from '../../../shared/schemas/events.js';
import type { RequestEvents } from '../../events/channels.js';
import { createAdminAuth } from '../../http/admin-auth.js';

export interface AdminEventsDeps {
  readonly events: Pick<RequestEvents, 'end'>;
  readonly adminToken?: string | undefined;
  /** Heartbeat comment interval, ms (default 15 s). */
  readonly heartbeatMs?: number;
}

const MAX_UNSENT_BYTES = 1024 * 1024;

/**
 * The channel carries the audit row itself (recordAudit publishes it without a copy per
 * request); the prompt and answer hashes are not part of the live event.
 */
function toEvent(message: unknown): RequestEvent {
  const { request_sha256: _request, response_sha256: _response, ...event } = message as RequestEvent & { request_sha256?: unknown; response_sha256?: unknown };
  return event;
}

export function createAdminEventRoutes(deps: AdminEventsDeps): FastifyPluginAsync {
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  return async function adminEventRoutes(app) {
    app.get('/admin/events', { onRequest: createAdminAuth(deps.adminToken) }, (request, reply) => {
      reply.hijack();
      const response = reply.raw;
      const headers: Record<string, string | number | string[]> = {};
      const replyHeaders = reply.getHeaders();
      for (const name in replyHeaders) {
        const value = replyHeaders[name];
        if (value !== undefined) headers[name] = value as string | number | string[];
      }
      headers['content-type'] = 'text/event-stream; charset=utf-8';
      headers['cache-control'] = 'no-cache';
      headers.connection = 'keep-alive';
      response.writeHead(200, headers);
      // Tells the client the subscription is live (and flushes the headers through proxies).
      response.write(': connected\n\n');

      const send = (message: unknown): void => {
        if (response.writableLength > MAX_UNSENT_BYTES) {
          response.destroy();
          return;
        }
        response.write(`event: request\ndata: ${JSON.stringify(toEvent(message))}\n\n`);
      };
      deps.events.end.subscribe(send);
      const heartbeat = setInterval(() => response.write(': ping\n\n'), heartbeatMs);
      heartbeat.unref();
      response.once('close', () => {
        clearInterval(heartbeat);
        deps.events.end.unsubscribe(send);
      });
      request.log.debug({ traceId: request.traceId }, 'admin events subscriber connected');
    });
  };
}
