// A local HTTP receiver standing in for a SIEM endpoint: records every request and answers
// with whatever the test's handler says (so tests can refuse, fail or acknowledge).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The status the receiver answered with. */
  status?: number;
}

export interface Answer {
  readonly status: number;
  readonly body?: string;
  readonly contentType?: string;
}

export type Handler = (request: ReceivedRequest) => Answer;

export class HttpReceiver {
  readonly requests: ReceivedRequest[] = [];
  handler: Handler = () => ({ status: 200, body: '{}' });

  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(): Promise<HttpReceiver> {
    let receiver: HttpReceiver | null = null;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request: ReceivedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        receiver!.requests.push(request);
        const answer = receiver!.handler(request);
        request.status = answer.status;
        res.writeHead(answer.status, { 'content-type': answer.contentType ?? 'application/json' });
        res.end(answer.body ?? '');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    receiver = new HttpReceiver(server, `http://127.0.0.1:${port}`);
    return receiver;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
