// Every streamed answer is audited with its tokens and cost, whether or not the client asked
// for usage (stream_options.include_usage) and whether or not a policy is loaded: the real
// daemon (startDaemon) in front of the mock upstream and of an upstream that never reports
// usage, the official openai client, audit rows read back from SQLite.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../../../daemon/store/sqlite-driver.js';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditRow } from '../../../shared/schemas/audit.js';
import { createAuditStore, parseEntry } from '../../../daemon/audit/audit-store.js';
import { startDaemon, type RunningDaemon } from '../../../daemon/cli/start.js';
import { startMockUpstream, type MockUpstream } from '../../../daemon/mock-upstream/server.js';
import { openDatabase } from '../../../daemon/store/db.js';
import { KeyStore } from '../../../daemon/store/keys-store.js';
import { startPolicyDaemon, type PolicyDaemon } from '../../support/policy-daemon.js';
import { forgetCheckpointKey } from '../audit/trail-db.js';

type Chunk = OpenAI.Chat.ChatCompletionChunk;

/** An OpenAI-compatible upstream that never sends usage, whatever stream_options says. */
async function startUsagelessUpstream(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const base = { id: 'chatcmpl-x', object: 'chat.completion.chunk', created: 1, model: 'plain' };
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const content of ['four ', 'words of ', 'answer']) res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`);
      res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, server };
}

async function collect(stream: AsyncIterable<Chunk>): Promise<Chunk[]> {
  const chunks: Chunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

const usageChunks = (chunks: Chunk[]) => chunks.filter((chunk) => chunk.choices.length === 0 || (chunk.usage ?? null) !== null);
const messages = [{ role: 'user' as const, content: 'Say hello.' }];

describe('stream usage without a policy', () => {
  let dir: string;
  let upstream: MockUpstream;
  let usageless: { url: string; server: Server };
  let daemon: RunningDaemon;
  let client: OpenAI;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kagami-stream-usage-'));
    upstream = await startMockUpstream({ reply: 'Hello there, friend.' });
    usageless = await startUsagelessUpstream();
    const configFile = join(dir, 'kagami.yaml');
    writeFileSync(
      configFile,
      [
        'providers:',
        `  - { id: mock, type: openai, base_url: "${upstream.url}" }`,
        `  - { id: plain, type: vllm, base_url: "${usageless.url}" }`,
        'models:',
        '  - { name: chat, provider: mock, model: kagami-sim-chat, price: { input_per_1m: 1000, output_per_1m: 2000 } }',
        '  - { name: plain, provider: plain, model: plain, price: { input_per_1m: 1000, output_per_1m: 2000 } }',
        '',
      ].join('\n'),
    );
    const db = openDatabase(join(dir, 'data'));
    const keys = new KeyStore(db, { refreshMs: 0 });
    const { key } = keys.create({ tenant: 'acme', user: 'ana' });
    keys.close();
    db.close();
    daemon = await startDaemon({ configFile, overrides: { port: 0, data_dir: join(dir, 'data') }, createFirstKey: false });
    client = new OpenAI({ baseURL: `${daemon.url}/v1`, apiKey: key, maxRetries: 0 });
  });
  afterEach(async () => {
    await daemon.close();
    await upstream.close();
    await new Promise((resolve) => usageless.server.close(resolve));
    forgetCheckpointKey(join(dir, 'data'));
    rmSync(dir, { recursive: true, force: true });
  });

  /** The request rows, once every row handed to the daemon's audit writer is committed. */
  async function auditRows(): Promise<AuditRow[]> {
    await daemon.flushAudit();
    const db = new Database(join(dir, 'data', 'kagami.db'), { readonly: true });
    try {
      return createAuditStore(db as never)
        .readAfter(0, 1000)
        .map(parseEntry)
        .flatMap((parsed) => (parsed.kind === 'request' ? [parsed.row] : []));
    } finally {
      db.close();
    }
  }

  it('asks the upstream for usage, hides the usage chunk from a client that did not ask, and audits tokens and cost', async () => {
    const chunks = await collect(await client.chat.completions.create({ model: 'chat', messages, stream: true }));
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('Hello there, friend.');
    expect(usageChunks(chunks)).toEqual([]);
    expect((upstream.stats.recent.at(-1)?.body as { stream_options?: unknown }).stream_options).toEqual({ include_usage: true });

    const row = (await auditRows()).at(-1);
    expect(row).toMatchObject({ stream: true, status: 200 });
    expect(row?.prompt_tokens).toBeGreaterThan(0);
    expect(row?.completion_tokens).toBeGreaterThan(0);
    expect(row?.total_tokens).toBe((row?.prompt_tokens ?? 0) + (row?.completion_tokens ?? 0));
    expect(row?.cost_usd).toBeCloseTo(((row?.prompt_tokens ?? 0) * 1000 + (row?.completion_tokens ?? 0) * 2000) / 1e6, 10);
  });

  it('still passes the usage chunk to a client that asked, with the same numbers it audits', async () => {
    const chunks = await collect(await client.chat.completions.create({ model: 'chat', messages, stream: true, stream_options: { include_usage: true } }));
    const usage = chunks.at(-1)?.usage;
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(usage?.total_tokens).toBeGreaterThan(0);
    const row = (await auditRows()).at(-1);
    expect(row).toMatchObject({ prompt_tokens: usage?.prompt_tokens, completion_tokens: usage?.completion_tokens, total_tokens: usage?.total_tokens });
  });

  it('counts the tokens with the tokenizer when the upstream reports no usage', async () => {
    const chunks = await collect(await client.chat.completions.create({ model: 'plain', messages, stream: true }));
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('four words of answer');
    expect(usageChunks(chunks)).toEqual([]);
    // "Say hello." is 3 tokens + 3 per message + 3 reply priming; "four words of answer" is 4.
    const row = (await auditRows()).at(-1);
    expect(row).toMatchObject({ prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 });
    expect(row?.cost_usd).toBeCloseTo((9 * 1000 + 4 * 2000) / 1e6, 10);
  });
});

describe('stream usage with a policy', () => {
  let gw: PolicyDaemon | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  it('audits tokens and cost for a stream without include_usage, and shows the client no usage chunk', async () => {
    gw = await startPolicyDaemon({
      policy: 'version: 1\nendpoints:\n  mini: { provider: cloud, model: gpt-mini, price: { input_per_1m: 1000, output_per_1m: 2000 } }\ndefault: { route_to: mini, retries: 0 }\n',
      keys: { k: { tenant: 'acme', user: 'ana' } },
    });
    const chunks = await collect(await gw.client('k').chat.completions.create({ model: 'chat', messages, stream: true }));
    expect(chunks.length).toBeGreaterThan(0);
    expect(usageChunks(chunks)).toEqual([]);
    const row = (await gw.auditRows()).at(-1);
    expect(row?.prompt_tokens).toBeGreaterThan(0);
    expect(row?.completion_tokens).toBeGreaterThan(0);
    expect(row?.cost_usd).toBeCloseTo(((row?.prompt_tokens ?? 0) * 1000 + (row?.completion_tokens ?? 0) * 2000) / 1e6, 10);
  });
});
