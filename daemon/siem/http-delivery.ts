// The HTTP side the HTTP-based sinks share: one undici Agent per sink (keep-alive, the sink's
// own CA / client certificate), a POST that reads the whole answer, and non-2xx answers turned
// into DeliveryErrors that say what the receiver said.
import { Agent, request } from 'undici';
import type { SinkTls } from '../../shared/schemas/siem.js';
import { DeliveryError, type SinkDeps } from './sink.js';

export interface HttpAnswer {
  readonly status: number;
  readonly text: string;
}

export interface SinkHttpClient {
  /** POSTs `body`; resolves with a 2xx answer, throws DeliveryError for anything else. */
  post(url: string, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<HttpAnswer>;
  close(): Promise<void>;
}

export function createSinkHttpClient(tls: SinkTls | undefined, deps: Pick<SinkDeps, 'readFile'>): SinkHttpClient {
  const agent = new Agent({
    keepAliveTimeout: 30_000,
    connect: {
      ...(tls?.ca_file ? { ca: deps.readFile(tls.ca_file) } : {}),
      ...(tls?.cert_file ? { cert: deps.readFile(tls.cert_file) } : {}),
      ...(tls?.key_file ? { key: deps.readFile(tls.key_file) } : {}),
      ...(tls?.server_name ? { servername: tls.server_name } : {}),
    },
  });
  return {
    async post(url, headers, body, signal) {
      let response;
      try {
        response = await request(url, { method: 'POST', headers, body, signal, dispatcher: agent });
      } catch (error) {
        throw new DeliveryError(`POST ${redactUrl(url)} failed: ${(error as Error).message}`, { cause: error });
      }
      const text = await response.body.text();
      if (response.statusCode < 200 || response.statusCode > 299) {
        throw new DeliveryError(`POST ${redactUrl(url)} answered ${response.statusCode}: ${text.slice(0, 300)}`);
      }
      return { status: response.statusCode, text };
    },
    close: () => agent.close(),
  };
}

/** URLs in status messages lose any credentials and query string. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '(invalid url)';
  }
}
