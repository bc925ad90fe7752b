// A loopback upstream that replays recorded provider exchanges (/work/shared/fixtures wire
// files) byte for byte: each request gets the next recorded response (status, headers,
// body bytes), optionally cut into pieces at given sizes to exercise stream decoders.
// It records what it received, so a test can compare the gateway's upstream request with
// the recorded one. Used by the request-path tests and reusable by adapter tests.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReplayResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** Write the body in pieces of these sizes (cycled); default: one write. */
  readonly pieces?: readonly number[];
}

export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly raw: Buffer;
  readonly body: unknown;
}

export interface ReplayUpstream {
  /** http://127.0.0.1:<port> (no path). */
  readonly origin: string;
  readonly received: ReceivedRequest[];
  /** Responses not served yet, in order. */
  readonly queue: ReplayResponse[];
  close(): Promise<void>;
}

function parseBody(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return raw.toString('utf8');
  }
}

async function writePieces(response: ServerResponse, body: Buffer, pieces: readonly number[]): Promise<void> {
  let offset = 0;
  let index = 0;
  while (offset < body.length) {
    const size = Math.max(1, pieces[index % pieces.length] ?? body.length);
    const piece = body.subarray(offset, offset + size);
    offset += size;
    index++;
    if (!response.write(piece)) await new Promise((resolve) => response.once('drain', resolve));
  }
  response.end();
}

export async function startReplayUpstream(responses: readonly ReplayResponse[]): Promise<ReplayUpstream> {
  const queue = [...responses];
  const received: ReceivedRequest[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, raw, body: parseBody(raw) });
      const next = queue.shift();
      if (next === undefined) {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { message: 'replay upstream: no recorded response left', type: 'server_error' } }));
        return;
      }
      response.writeHead(next.status, next.headers);
      void writePieces(response, next.body, next.pieces ?? [next.body.length]);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    received,
    queue,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
