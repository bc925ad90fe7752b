// The per-request PII scan when the client goes away: the request's abort signal reaches the
// Japanese analyzer (which drops the text: test/daemon/redaction/ja/analyzer.test.ts), and the
// scan ends as `client_disconnected` (499, audited, never sent), not as an internal error.
import diagnostics from 'node:diagnostics_channel';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream, type MockUpstreamOptions } from '../../../daemon/mock-upstream/server.js';
import type { RequestContext } from '../../../daemon/pipeline/context.js';
import { CHANNELS } from '../../../daemon/events/channels.js';
import { createRedactionEngine } from '../../../daemon/redaction/engine.js';
import { createPiiScanner } from '../../../daemon/redaction/scanner.js';
import { resolveRedactionSettings } from '../../../daemon/redaction/settings.js';
import type { JapaneseAnalyzer } from '../../../daemon/redaction/types.js';
import type { AuditRow } from '../../../shared/schemas/audit.js';
import { GatewayError } from '../../../shared/errors.js';
import { oneModelConfig, startGateway, type TestGateway } from '../../support/gateway.js';

const JAPANESE = '山田太郎さんの資料を確認してください。';

/** An analyzer that answers only when told to, and rejects when the signal it was given aborts. */
function heldAnalyzer(): JapaneseAnalyzer & { signals: (AbortSignal | undefined)[] } {
  const signals: (AbortSignal | undefined)[] = [];
  return {
    signals,
    detectJapanese: (_text, signal) =>
      new Promise((_resolve, reject) => {
        signals.push(signal);
        signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
      }),
    close: async () => {},
  };
}

describe('createPiiScanner when the client goes away', () => {
  it("hands the request's signal to the analyzer and ends the scan as client_disconnected", async () => {
    const japanese = heldAnalyzer();
    const scanner = createPiiScanner({ engine: createRedactionEngine({ settings: resolveRedactionSettings(undefined), japanese }) });
    const controller = new AbortController();
    const ctx = {
      traceId: 't',
      request: { op: 'chat', body: { model: 'm', messages: [{ role: 'user', content: JAPANESE }] } },
      dataClasses: new Set(),
      annotations: {},
      signal: controller.signal,
    } as unknown as RequestContext;
    const scan = scanner.scan(ctx);
    await Promise.resolve();
    expect(japanese.signals).toEqual([controller.signal]);
    controller.abort();
    const error = await scan.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: 'client_disconnected', status: 499 });
  });
});

/** A daemon in front of a mock upstream made with `options`, fresh for each test of the block. */
function withGateway(options: MockUpstreamOptions): { upstream: MockUpstream; gateway: TestGateway } {
  const handles = {} as { upstream: MockUpstream; gateway: TestGateway };
  beforeEach(async () => {
    handles.upstream = await startMockUpstream(options);
    handles.gateway = await startGateway({ config: oneModelConfig(handles.upstream.url) });
  });
  afterEach(async () => {
    await handles.gateway.close();
    await handles.upstream.close();
  });
  return handles;
}

/** The next audit row the daemon publishes. */
function nextAuditRow(): Promise<AuditRow> {
  return new Promise<AuditRow>((resolve) => {
    const onEnd = (row: unknown): void => {
      diagnostics.unsubscribe(CHANNELS.end, onEnd);
      resolve(row as AuditRow);
    };
    diagnostics.subscribe(CHANNELS.end, onEnd);
  });
}

/** Sends a request whose client gives up when `channel` first publishes, and expects the abort. */
async function abandonOn(channel: string, send: (signal: AbortSignal) => Promise<unknown>): Promise<void> {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  diagnostics.subscribe(channel, abort);
  try {
    await expect(send(controller.signal)).rejects.toThrow(/abort/i);
  } finally {
    diagnostics.unsubscribe(channel, abort);
  }
}

describe('a client that disconnects while its Japanese prompt is being scanned, through the daemon', () => {
  const handles = withGateway({ echo: true, toolCalls: false });

  it('is audited as client_disconnected (499), nothing goes upstream, and the daemon serves the next request', async () => {
    const { gateway, upstream } = handles;
    const client = new OpenAI({ apiKey: gateway.apiKey, baseURL: gateway.baseURL, maxRetries: 0 });
    const ended = nextAuditRow();
    // Aborted as soon as the daemon has the request: its ~100,000 characters take the real
    // analyzer (the first load included) well over a second.
    await abandonOn(CHANNELS.start, (signal) =>
      client.chat.completions.create({ model: 'chat-model', messages: [{ role: 'user', content: JAPANESE.repeat(5_000) }] }, { signal }),
    );
    expect(await ended).toMatchObject({ status: 499, error_code: 'client_disconnected' });
    expect(upstream.stats.requests).toBe(0);

    const answer = await client.chat.completions.create({ model: 'chat-model', messages: [{ role: 'user', content: JAPANESE }] });
    expect(answer.choices[0]?.message.content).toBe(JAPANESE);
  });
});

describe("a client that disconnects while the answer's Japanese text is being scanned, through the daemon", () => {
  // A short English prompt; a ~100,000-character Japanese answer, whose scan takes the real
  // analyzer (the first load included) well over a second.
  const handles = withGateway({ reply: JAPANESE.repeat(5_000), chunkCount: 1, toolCalls: false });

  it('is audited as client_disconnected (499), not internal_error, and the daemon serves the next request', async () => {
    const { gateway, upstream } = handles;
    const client = new OpenAI({ apiKey: gateway.apiKey, baseURL: gateway.baseURL, maxRetries: 0 });
    const ended = nextAuditRow();
    // undici publishes `trailers` when the daemon has read the whole upstream answer: the
    // client leaves then, while the daemon scans that answer.
    await abandonOn('undici:request:trailers', (signal) =>
      client.chat.completions.create({ model: 'chat-model', messages: [{ role: 'user', content: 'Summarise the file.' }] }, { signal }),
    );
    expect(await ended).toMatchObject({ status: 499, error_code: 'client_disconnected' });
    expect(upstream.stats.requests).toBe(1);

    const answer = await client.chat.completions.create({ model: 'chat-model', messages: [{ role: 'user', content: 'Again, please.' }] });
    expect(answer.choices[0]?.message.content).toContain('さんの資料を確認してください。');
  }, 60_000);
});
