// Polls an HTTPS URL for the team's current bundle, with ETag / If-None-Match so an unchanged
// policy costs a 304. A private CA can be trusted for the policy server only (`ca_file`).
import { Agent, request } from 'undici';
import { createNewContentFilter, type Offer, type PolicySource } from './source.js';

export interface HttpsSourceOptions {
  readonly url: string;
  readonly offer: Offer;
  readonly intervalMs?: number;
  /** PEM of extra CA certificates to trust for this URL. */
  readonly ca?: string;
  readonly timeoutMs?: number;
}

const MAX_BUNDLE_BYTES = 1024 * 1024;

export function createHttpsSource(options: HttpsSourceOptions): PolicySource {
  const url = new URL(options.url);
  if (url.protocol !== 'https:') throw new Error(`policy.source.url must be https:, got ${url.protocol}`);
  const dispatcher = new Agent({ connect: options.ca ? { ca: options.ca } : {}, keepAliveTimeout: 10_000 });
  const isNew = createNewContentFilter();
  let etag: string | null = null;
  let error: string | null = null;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();

  async function poll(): Promise<void> {
    const timeout = options.timeoutMs ?? 15_000;
    try {
      const response = await request(url, {
        dispatcher,
        method: 'GET',
        headers: { accept: 'application/json', ...(etag ? { 'if-none-match': etag } : {}) },
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
      if (response.statusCode === 304) {
        await response.body.dump();
        error = null;
        return;
      }
      if (response.statusCode !== 200) {
        await response.body.dump();
        error = `policy server answered ${response.statusCode}`;
        return;
      }
      const length = Number(response.headers['content-length'] ?? 0);
      if (length > MAX_BUNDLE_BYTES) {
        await response.body.dump();
        error = `policy bundle too large (${length} bytes)`;
        return;
      }
      const text = await response.body.text();
      const tag = response.headers.etag;
      etag = typeof tag === 'string' ? tag : null;
      error = null;
      if (isNew(url.href, text)) options.offer(text, url.href);
    } catch (cause) {
      error = `cannot fetch ${url.href}: ${(cause as Error).message}`;
    }
  }

  const check = (): Promise<void> => (running = running.then(poll, poll));

  return {
    label: url.href,
    async start() {
      await check();
      timer = setInterval(() => void check(), options.intervalMs ?? 60_000);
      timer.unref();
    },
    check,
    async close() {
      if (timer) clearInterval(timer);
      await running;
      await dispatcher.close();
    },
    lastError: () => error,
  };
}
