// The redaction stage end to end: the real daemon (buildApp on port 0, real SQLite with the real
// AuditWriter) in front of the real mock upstream, driven by the official `openai` SDK. What the
// upstream receives, what the client gets back (placeholders restored, JSON and streamed one
// character per chunk), the 400 for a blocked type, the redaction log rows and the audit row's
// counts, and the raw bytes of the SQLite files (database and WAL) holding no redacted value.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI, { APIError } from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditStore, parseEntry } from '../../../daemon/audit/audit-store.js';
import { startMockUpstream, type MockUpstream } from '../../../daemon/mock-upstream/server.js';
import type { RedactionLogEntry } from '../../../shared/schemas/audit.js';
import { oneModelConfig, startGateway, type TestGateway } from '../../support/gateway.js';

let upstream: MockUpstream;
let gateway: TestGateway;
let client: OpenAI;

const EMAIL = 'alice.smith@example.com';
const PHONE = '+44 20 7946 0958';
const CARD = '4111 1111 1111 1111';
const SSN = '536-22-8412';
const IP = '203.0.113.77';
const JP_PHONE = '090-1234-5678';
const API_KEY = 'sk-proj-c7Tvo-hBKqFYY-kv5ZJr3J1TWDtkwtDDb_xHKas1VOqg6YYZzgEOzdme';
const PASSWORD = 'Tr0ub4dor&3';
const MODEL_EMAIL = 'bob.jones@example.org';
const MODEL_CARD = '5555 5555 5555 4444';

beforeEach(async () => {
  upstream = await startMockUpstream({ echo: true, toolCalls: false });
  gateway = await startGateway({
    config: oneModelConfig(upstream.url, { redaction: { entities: { US_SSN: { action: 'block' }, IP_ADDRESS: { action: 'allow' } } } }),
  });
  client = new OpenAI({ apiKey: gateway.apiKey, baseURL: gateway.baseURL, maxRetries: 0 });
});

afterEach(async () => {
  await gateway.close();
  await upstream.close();
});

/** The last user message the upstream received. */
function sentUpstream(): string {
  const body = upstream.stats.recent.at(-1)?.body as { messages: { content: string }[] };
  return body.messages.at(-1)?.content ?? '';
}

function redactionRows(): RedactionLogEntry[] {
  const rows: RedactionLogEntry[] = [];
  for (const entry of createAuditStore(gateway.db).readAfter(0, 10_000)) {
    const parsed = parseEntry(entry);
    if (parsed.kind === 'redaction') rows.push(parsed.row);
  }
  return rows;
}

async function streamText(content: string): Promise<{ text: string; traceId: string | null }> {
  const { data: stream, response } = await client.chat.completions.create({ model: 'chat-model', messages: [{ role: 'user', content }], stream: true }).withResponse();
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  return { text, traceId: response.headers.get('x-kagami-trace-id') };
}

const prompt = `Email ${EMAIL} or call ${PHONE}; my card is ${CARD}.`;

describe('redactPrompt through the daemon', () => {
  it('pseudonymizes and masks before the upstream and restores the originals in a JSON answer', async () => {
    const answer = await client.chat.completions.create({ model: 'chat-model', messages: [{ role: 'user', content: prompt }] });
    expect(sentUpstream()).toBe('Email <EMAIL_1> or call <PHONE_1>; my card is [CREDIT_CARD].');
    // The upstream echoed the placeholders; the user reads the real values (the card stays masked: the provider never had it).
    expect(answer.choices[0]?.message.content).toBe(`Email ${EMAIL} or call ${PHONE}; my card is [CREDIT_CARD].`);
  });

  it('restores placeholders in a stream delivered one character per chunk', async () => {
    upstream.setOptions({ chunkCount: 400 });
    const { text } = await streamText(prompt);
    expect(sentUpstream()).toBe('Email <EMAIL_1> or call <PHONE_1>; my card is [CREDIT_CARD].');
    expect(text).toBe(`Email ${EMAIL} or call ${PHONE}; my card is [CREDIT_CARD].`);
  });

  it('restores placeholders for Anthropic Messages clients too (same pipeline), streamed one character per chunk', async () => {
    upstream.setOptions({ chunkCount: 400 });
    const anthropic = new Anthropic({ apiKey: gateway.apiKey, baseURL: gateway.origin, maxRetries: 0 });
    const stream = anthropic.messages.stream({ model: 'chat-model', max_tokens: 200, messages: [{ role: 'user', content: prompt }] });
    const message = await stream.finalMessage();
    expect(sentUpstream()).toBe('Email <EMAIL_1> or call <PHONE_1>; my card is [CREDIT_CARD].');
    expect(message.content).toMatchObject([{ type: 'text', text: `Email ${EMAIL} or call ${PHONE}; my card is [CREDIT_CARD].` }]);
  });

  it('restores placeholders for Responses API clients, JSON and streamed', async () => {
    const response = await client.responses.create({ model: 'chat-model', input: prompt });
    expect(sentUpstream()).toBe('Email <EMAIL_1> or call <PHONE_1>; my card is [CREDIT_CARD].');
    expect(response.output_text).toBe(`Email ${EMAIL} or call ${PHONE}; my card is [CREDIT_CARD].`);
    upstream.setOptions({ chunkCount: 400 });
    const stream = await client.responses.create({ model: 'chat-model', input: prompt, stream: true });
    let text = '';
    for await (const event of stream) if (event.type === 'response.output_text.delta') text += event.delta;
    expect(text).toBe(`Email ${EMAIL} or call ${PHONE}; my card is [CREDIT_CARD].`);
  });

  it('masks PII the model emits, split across chunks, in streams and JSON answers', async () => {
    upstream.setOptions({ echo: false, reply: `Ask ${MODEL_EMAIL}, card ${MODEL_CARD}.`, chunkCount: 400 });
    const { text } = await streamText('who pays?');
    expect(text).toBe('Ask [EMAIL], card [CREDIT_CARD].');
    const answer = await client.chat.completions.create({ model: 'chat-model', messages: [{ role: 'user', content: 'who pays?' }] });
    expect(answer.choices[0]?.message.content).toBe('Ask [EMAIL], card [CREDIT_CARD].');
  });

  it('refuses a blocked type with an OpenAI-shaped 400 naming the type, never the value, and sends nothing upstream', async () => {
    const error = await client.chat.completions.create({ model: 'chat-model', messages: [{ role: 'user', content: `My SSN is ${SSN}, mail ${EMAIL}` }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    const apiError = error as APIError;
    expect(apiError.status).toBe(400);
    expect(apiError.code).toBe('pii_blocked');
    expect(apiError.type).toBe('invalid_request_error');
    expect(apiError.param).toBe('messages[0].content');
    expect(apiError.message).toContain('US_SSN');
    expect(JSON.stringify(apiError.error)).not.toContain(SSN);
    expect(JSON.stringify(apiError.error)).not.toContain(EMAIL);
    expect(upstream.stats.requests).toBe(0);
    const [row] = gateway.auditRows();
    expect(row).toMatchObject({ status: 400, error_code: 'pii_blocked' });
    expect(row?.redactions).toEqual({ 'US_SSN:block': 1, 'EMAIL:pseudonymize': 1 });
  });

  it('forwards an allowed type unchanged and still logs it, in the request and in the answer', async () => {
    const answer = await client.chat.completions.create({ model: 'chat-model', messages: [{ role: 'user', content: `ping ${IP}` }] });
    expect(sentUpstream()).toBe(`ping ${IP}`);
    expect(answer.choices[0]?.message.content).toBe(`ping ${IP}`);
    expect(redactionRows().map((row) => `${row.entity_type}:${row.action}:${row.location}:${row.preview}`)).toEqual([
      'IP_ADDRESS:allow:messages[0].content:ping [IP_ADDRESS]',
      'IP_ADDRESS:allow:response.choices[0].content:ping [IP_ADDRESS]',
    ]);
    expect(gateway.auditRows()[0]?.redactions).toEqual({ 'IP_ADDRESS:allow': 2 });
  });

  it('writes one redaction-log row per finding (request and answer) and per-type+action counts in the audit row', async () => {
    upstream.setOptions({ echo: false, reply: `Done. Call ${PHONE}.`, chunkCount: 400 });
    const { traceId } = await streamText(`Mail ${EMAIL}, card ${CARD}`);
    const rows = redactionRows();
    expect(rows.map(({ trace_id, entity_type, detector, action, location, start, end, preview }) => ({ trace_id, entity_type, detector, action, location, start, end, preview }))).toEqual([
      { trace_id: traceId, entity_type: 'EMAIL', detector: 'email', action: 'pseudonymize', location: 'messages[0].content', start: 5, end: 28, preview: 'Mail [EMAIL], card [CREDIT_CARD]' },
      { trace_id: traceId, entity_type: 'CREDIT_CARD', detector: 'credit-card', action: 'mask', location: 'messages[0].content', start: 35, end: 54, preview: '…[EMAIL], card [CREDIT_CARD]' },
      { trace_id: traceId, entity_type: 'PHONE', detector: 'phone', action: 'mask', location: 'response.choices[0].content', start: 11, end: 27, preview: 'Done. Call [PHONE].' },
    ]);
    for (const row of rows) expect(row.score).toBeGreaterThanOrEqual(0.5);
    const [audit] = gateway.auditRows();
    expect(audit?.trace_id).toBe(traceId);
    expect(audit?.redactions).toEqual({ 'EMAIL:pseudonymize': 1, 'CREDIT_CARD:mask': 1, 'PHONE:mask': 1 });
  });

  it('counts a type found on both sides once per action in the audit row', async () => {
    upstream.setOptions({ echo: false, reply: `Also write to ${MODEL_EMAIL}.` });
    await client.chat.completions.create({ model: 'chat-model', messages: [{ role: 'user', content: `Mail ${EMAIL}` }] });
    expect(redactionRows().map((row) => `${row.entity_type}:${row.action}:${row.location}`)).toEqual([
      'EMAIL:pseudonymize:messages[0].content',
      'EMAIL:mask:response.choices[0].content',
    ]);
    expect(gateway.auditRows()[0]?.redactions).toEqual({ 'EMAIL:pseudonymize': 1, 'EMAIL:mask': 1 });
  });

  it('logs the request findings when the upstream fails and when the client goes away mid-stream', async () => {
    upstream.setFaults({ errorRate: 1, errorStatus: 500 });
    await expect(client.chat.completions.create({ model: 'chat-model', messages: [{ role: 'user', content: `Mail ${EMAIL}` }] })).rejects.toBeInstanceOf(APIError);
    expect(redactionRows().map((row) => `${row.entity_type}:${row.action}`)).toEqual(['EMAIL:pseudonymize']);

    upstream.setFaults({});
    upstream.setOptions({ chunkCount: 400, chunkDelayMs: 5 });
    const ended = new Promise<void>((resolve) => gateway.events.end.subscribe(function onEnd() {
      gateway.events.end.unsubscribe(onEnd);
      resolve();
    }));
    const controller = new AbortController();
    const stream = await client.chat.completions.create({ model: 'chat-model', messages: [{ role: 'user', content: `Card ${CARD} please` }], stream: true }, { signal: controller.signal });
    for await (const _chunk of stream) {
      controller.abort();
      break;
    }
    await ended;
    expect(redactionRows().map((row) => `${row.entity_type}:${row.action}`)).toEqual(['EMAIL:pseudonymize', 'CREDIT_CARD:mask']);
    expect(gateway.auditRows().at(-1)?.error_code).toBe('client_disconnected');
  });

  it('never writes a redacted value into the SQLite files (database and WAL, read as raw bytes)', async () => {
    const secrets = [EMAIL, PHONE, CARD, SSN, JP_PHONE, API_KEY, PASSWORD, MODEL_EMAIL, MODEL_CARD];
    await client.chat.completions.create({ model: 'chat-model', messages: [{ role: 'user', content: prompt }] });
    upstream.setOptions({ chunkCount: 400 });
    await streamText(`key ${API_KEY} and password: ${PASSWORD} please`);
    await streamText(`電話は${JP_PHONE}です`);
    await client.chat.completions.create({ model: 'chat-model', messages: [{ role: 'user', content: `SSN ${SSN}` }] }).catch(() => undefined);
    upstream.setOptions({ echo: false, reply: `Ask ${MODEL_EMAIL}, card ${MODEL_CARD}.` });
    await streamText('who pays?');
    await client.chat.completions.create({ model: 'chat-model', messages: [{ role: 'user', content: 'who pays?' }] });
    await gateway.auditWriter.flush();

    expect(gateway.auditRows()).toHaveLength(6);
    expect(redactionRows().length).toBeGreaterThanOrEqual(9);
    const dataDir = gateway.config.data_dir;
    const readAll = (): Buffer => Buffer.concat(readdirSync(dataDir).filter((name) => name.includes('.db')).map((name) => readFileSync(join(dataDir, name))));
    const files = readdirSync(dataDir);
    expect(files.some((name) => name.endsWith('-wal'))).toBe(true);
    const check = (bytes: Buffer): void => {
      for (const secret of secrets) {
        for (const form of [secret, secret.replace(/[ -]/g, ''), JSON.stringify(secret).slice(1, -1)]) {
          expect(bytes.includes(Buffer.from(form, 'utf8')), `${form} in the database files`).toBe(false);
          expect(bytes.includes(Buffer.from(form, 'utf16le')), `${form} (UTF-16) in the database files`).toBe(false);
        }
      }
    };
    // With the rows still in the WAL, then after a checkpoint moved them into the main file.
    check(readAll());
    gateway.db.pragma('wal_checkpoint(TRUNCATE)');
    check(readAll());
    // The previews are there, masked (so the check above looked at the right bytes).
    expect(readAll().includes(Buffer.from('Email [EMAIL] or call [PHONE]'))).toBe(true);
  });
});
