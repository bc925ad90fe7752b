// redaction.japanese_max_chars: a request carrying more Japanese-script text than the analyzer
// takes is refused (413, OpenAI-shaped, naming the limit and the setting), before any of it is
// analyzed and before anything goes upstream; never sent unscanned. ASCII text is not counted.
import OpenAI, { APIError } from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream, type MockUpstreamOptions } from '../../../daemon/mock-upstream/server.js';
import type { RequestContext } from '../../../daemon/pipeline/context.js';
import { createRedactionEngine } from '../../../daemon/redaction/engine.js';
import { createPiiScanner } from '../../../daemon/redaction/scanner.js';
import { resolveRedactionSettings } from '../../../daemon/redaction/settings.js';
import type { JapaneseAnalyzer } from '../../../daemon/redaction/types.js';
import { GatewayError } from '../../../shared/errors.js';
import { DEFAULT_JAPANESE_MAX_CHARS } from '../../../shared/schemas/redaction.js';
import { oneModelConfig, startGateway, type TestGateway } from '../../support/gateway.js';
import { startPolicyDaemon, type PolicyDaemon } from '../../support/policy-daemon.js';

const JAPANESE = '山田太郎さんの資料を確認してください。'; // 19 characters

/** An analyzer that records the texts it was asked about. */
function recordingAnalyzer(): JapaneseAnalyzer & { asked: string[] } {
  const asked: string[] = [];
  return { asked, detectJapanese: async (text) => (asked.push(text), []), close: async () => {} };
}

function contextFor(messages: { role: string; content: string }[]): RequestContext {
  return { traceId: 't', request: { op: 'chat', body: { model: 'm', messages } }, dataClasses: new Set(), annotations: {} } as unknown as RequestContext;
}

describe('the PII scanner and redaction.japanese_max_chars', () => {
  function scannerWith(limit: number) {
    const japanese = recordingAnalyzer();
    const engine = createRedactionEngine({ settings: resolveRedactionSettings({ japanese_max_chars: limit } as never), japanese });
    return { scanner: createPiiScanner({ engine }), japanese };
  }

  it('defaults to 300,000 characters', () => {
    expect(resolveRedactionSettings(undefined).japaneseMaxChars).toBe(DEFAULT_JAPANESE_MAX_CHARS);
    expect(DEFAULT_JAPANESE_MAX_CHARS).toBe(300_000);
  });

  it('refuses Japanese texts that together exceed the limit, naming the largest, before analyzing any', async () => {
    const { scanner, japanese } = scannerWith(50);
    const ctx = contextFor([
      { role: 'system', content: JAPANESE },
      { role: 'user', content: JAPANESE.repeat(2) },
    ]);
    const error = await scanner.scan(ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: 'pii_scan_too_large', status: 413, param: 'messages[1].content' });
    expect((error as Error).message).toContain('57 characters of text with Japanese script, over the 50');
    expect((error as Error).message).toContain('redaction.japanese_max_chars');
    expect(japanese.asked).toEqual([]);
  });

  it('scans Japanese texts at the limit, and never counts ASCII-only text', async () => {
    const { scanner, japanese } = scannerWith(38);
    const ascii = 'Plain English text that is much longer than the limit of thirty-eight characters.';
    await scanner.scan(contextFor([{ role: 'user', content: JAPANESE.repeat(2) }, { role: 'user', content: ascii }]));
    expect(japanese.asked).toEqual([JAPANESE.repeat(2)]);
  });

  it('does not apply when the Japanese analyzer is off', async () => {
    const engine = createRedactionEngine({ settings: resolveRedactionSettings({ japanese: false, japanese_max_chars: 5 } as never), japanese: recordingAnalyzer() });
    await expect(createPiiScanner({ engine }).scan(contextFor([{ role: 'user', content: JAPANESE }]))).resolves.toMatchObject({ slots: [] });
  });

  it('withholds an over-long answer (the engine is asked about one text: the answer side) with a 502', async () => {
    const japanese = recordingAnalyzer();
    const engine = createRedactionEngine({ settings: resolveRedactionSettings({ japanese_max_chars: 10 } as never), japanese });
    const error = await engine.detect(JAPANESE).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'pii_scan_too_large', status: 502 });
    expect((error as Error).message).toContain("answer was withheld: it carries 19 characters of text with Japanese script, over the 10");
    expect(japanese.asked).toEqual([]);
  });
});

/** A gateway with japanese_max_chars 100 in front of a mock upstream; closed after each test. */
function gatewayWithLimit(upstreamOptions: MockUpstreamOptions): { readonly upstream: MockUpstream; readonly gateway: TestGateway } {
  const running = {} as { upstream: MockUpstream; gateway: TestGateway };
  beforeEach(async () => {
    running.upstream = await startMockUpstream(upstreamOptions);
    running.gateway = await startGateway({ config: oneModelConfig(running.upstream.url, { redaction: { japanese_max_chars: 100 } }) });
  });
  afterEach(async () => {
    await running.gateway.close();
    await running.upstream.close();
  });
  return running;
}

describe('a request over redaction.japanese_max_chars, through the daemon', () => {
  const running = gatewayWithLimit({ echo: true, toolCalls: false });

  it('gets an OpenAI-shaped 413 naming the limit, is audited, and nothing reaches the upstream', async () => {
    const { gateway, upstream } = running;
    const client = new OpenAI({ apiKey: gateway.apiKey, baseURL: gateway.baseURL, maxRetries: 0 });
    const error = await client.chat.completions.create({ model: 'chat-model', messages: [{ role: 'user', content: JAPANESE.repeat(6) }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    expect(error).toMatchObject({ status: 413, code: 'pii_scan_too_large', type: 'invalid_request_error', param: 'messages[0].content' });
    expect((error as APIError).message).toContain('114 characters of text with Japanese script, over the 100');
    expect(JSON.stringify((error as APIError).error)).not.toContain('山田');
    expect(upstream.stats.requests).toBe(0);
    expect(gateway.auditRows()[0]).toMatchObject({ status: 413, error_code: 'pii_scan_too_large' });

    // Under the limit the same prompt goes through, redacted.
    const answer = await client.chat.completions.create({ model: 'chat-model', messages: [{ role: 'user', content: JAPANESE }] });
    expect(answer.choices[0]?.message.content).toBe(JAPANESE);
    expect(upstream.stats.recent.at(-1)?.body).toMatchObject({ messages: [{ content: '<PERSON_1>さんの資料を確認してください。' }] });
  });
});

describe('an answer over redaction.japanese_max_chars, through the daemon', () => {
  const running = gatewayWithLimit({ reply: JAPANESE.repeat(6), chunkCount: 19, toolCalls: false });

  it('is withheld with a 502 naming the limit (JSON), and a streamed one is scanned piece by piece and delivered', async () => {
    const { gateway } = running;
    const client = new OpenAI({ apiKey: gateway.apiKey, baseURL: gateway.baseURL, maxRetries: 0 });
    const error = await client.chat.completions.create({ model: 'chat-model', messages: [{ role: 'user', content: 'hello' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    expect(error).toMatchObject({ status: 502, code: 'pii_scan_too_large' });
    expect(JSON.stringify((error as APIError).error)).not.toContain('山田');

    // Streamed in 19 chunks: the redactor scans a chunk and the short tail it holds back at a
    // time, so no scanned text reaches the limit.
    const stream = await client.chat.completions.create({ model: 'chat-model', messages: [{ role: 'user', content: 'hello' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe(JAPANESE.repeat(6).replaceAll('山田太郎', '[JP_NAME]'));
  });
});

describe('a request over redaction.japanese_max_chars under a policy that classifies by PII', () => {
  let daemon: PolicyDaemon | undefined;
  afterEach(async () => {
    await daemon?.close();
    daemon = undefined;
  });

  it('keeps its 413 (the policy stage passes the scanner refusal on, not a 500), and nothing goes upstream', async () => {
    daemon = await startPolicyDaemon({
      policy: `version: 1
endpoints:
  local: { provider: onprem, model: kagami-sim-chat, on_prem: true }
  cloud: { provider: cloud, model: kagami-sim-chat }
data_classes:
  pii-restricted: { entities: [JP_NAME], on_prem_only: true }
rules:
  - { name: pii-on-prem, when: { data_class: pii-restricted }, route_to: local }
default: { route_to: cloud }
`,
      keys: { k: { tenant: 't', user: 'u' } },
      extraConfig: ['redaction: { japanese_max_chars: 100 }'],
    });
    const error = await daemon
      .client('k')
      .chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: JAPANESE.repeat(6) }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    expect(error).toMatchObject({ status: 413, code: 'pii_scan_too_large', param: 'messages[0].content' });
    expect(daemon.onprem.stats.requests + daemon.cloud.stats.requests).toBe(0);
    expect((await daemon.auditRows()).at(-1)).toMatchObject({ status: 413, error_code: 'pii_scan_too_large' });

    // Under the limit the same prompt is classified and kept on-prem.
    await daemon.client('k').chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: JAPANESE }] });
    expect(daemon.onprem.stats.requests).toBe(1);
    expect(daemon.cloud.stats.requests).toBe(0);
  });
});
