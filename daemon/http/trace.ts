// W3C trace context: continue the caller's trace (same trace id, our own span id) or start
// one. Every response, errors included, carries x-kagami-trace-id and traceparent; the
// upstream request carries the same traceparent.
import { randomFillSync } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    traceId: string;
    traceparent: string;
    /** performance.now() when the request arrived (before body parsing). */
    receivedAt: number;
  }
}

// version-traceid-parentid-flags, lower-case hex (W3C Trace Context §3.2).
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '00000000000000000000000000000000';
const ZERO_SPAN = '0000000000000000';

// Random ids come from a refilled pool: one getrandom() call per 256 requests, not per request.
const POOL_BYTES = 256 * 24;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let offset = POOL_BYTES;

function randomHex(bytes: number): string {
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}

/** Trace id and traceparent for a request, from its incoming traceparent header if valid. */
export function continueTrace(incoming: string | string[] | undefined): { traceId: string; traceparent: string } {
  const span = randomHex(8);
  if (typeof incoming === 'string') {
    const match = TRACEPARENT.exec(incoming.trim());
    if (match !== null && match[1] !== 'ff' && match[2] !== ZERO_TRACE && match[3] !== ZERO_SPAN) {
      const traceId = match[2] as string;
      return { traceId, traceparent: `00-${traceId}-${span}-${match[4] as string}` };
    }
  }
  const traceId = randomHex(16);
  return { traceId, traceparent: `00-${traceId}-${span}-01` };
}

export function registerTrace(app: FastifyInstance): void {
  app.decorateRequest('traceId', '');
  app.decorateRequest('traceparent', '');
  app.decorateRequest('receivedAt', 0);
  app.addHook('onRequest', (request, reply, done) => {
    request.receivedAt = performance.now();
    const trace = continueTrace(request.headers.traceparent);
    request.traceId = trace.traceId;
    request.traceparent = trace.traceparent;
    reply.header('x-kagami-trace-id', trace.traceId);
    reply.header('traceparent', trace.traceparent);
    done();
  });
}
