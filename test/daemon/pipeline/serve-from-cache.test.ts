// serveFromCache in the running daemon (startDaemon + policy file + a real local upstream that
// echoes the prompt + the official openai client), on an injected clock: the exact-match cache
// is per rule with its TTL, keyed on the request after redaction, per tenant, marked in the
// response headers and the audit row, kept in SQLite across a restart, and never holds raw PII.
import { Database } from '../../../daemon/store/sqlite-driver.js';
import { join } from 'node:path';
import type OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PolicyAnnotation } from '../../../daemon/pipeline/apply-policy.js';
import { startPolicyDaemon, type PolicyDaemon } from '../../support/policy-daemon.js';

const policy = `version: 1
endpoints:
  mini: { provider: cloud, model: gpt-mini, price: { input_per_1m: 1, output_per_1m: 2 } }
rules:
  - name: faq
    when: { metadata: { app: faq } }
    route_to: mini
    cache: { ttl_s: 60 }
default: { route_to: mini }
`;

let gw: PolicyDaemon;

beforeEach(async () => {
  gw = await startPolicyDaemon({
    policy,
    keys: { alice: { tenant: 'acme', user: 'alice' }, bob: { tenant: 'acme', user: 'bob' }, eve: { tenant: 'globex', user: 'eve' } },
    cloud: { echo: true },
  });
});

afterEach(async () => {
  await gw.close();
});

async function ask(key: string, content: string, extra: Partial<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming> = {}) {
  const { data, response } = await gw
    .client(key)
    .chat.completions.create({ model: 'chat', messages: [{ role: 'user', content }], metadata: { app: 'faq' }, ...extra })
    .withResponse();
  return { text: data.choices[0]?.message.content, cache: response.headers.get('x-kagami-cache'), age: response.headers.get('x-kagami-cache-age'), endpoint: response.headers.get('x-kagami-endpoint') };
}

describe('serveFromCache in the running daemon', () => {
  it('answers a repeated request from the cache, marked in the headers and the audit row', async () => {
    const first = await ask('alice', 'What are your opening hours?');
    expect(first).toMatchObject({ text: 'What are your opening hours?', cache: 'miss', endpoint: 'mini' });
    gw.clock.advance(5_000);
    const second = await ask('bob', 'What are your opening hours?'); // same tenant, another user
    expect(second).toMatchObject({ text: 'What are your opening hours?', cache: 'hit', age: '5', endpoint: 'mini' });
    expect(gw.cloud.stats.requests).toBe(1);

    const [miss, hit] = await gw.auditRows();
    expect(miss).toMatchObject({ cache_hit: false, endpoint: 'mini', rule: 'faq' });
    expect(miss?.cost_usd).toBeGreaterThan(0);
    expect(hit).toMatchObject({ cache_hit: true, endpoint: 'mini', rule: 'faq', cost_usd: 0, fallbacks: [] });
    expect((hit?.decision as unknown as PolicyAnnotation).outcome?.cache).toMatchObject({ hit: true, ageS: 5, ttlS: 60 });
  });

  it('misses for a different request, another tenant, a stream, or a rule without caching', async () => {
    await ask('alice', 'Where is the office?');
    expect((await ask('alice', 'Where is the office?', { temperature: 0.2 })).cache).toBe('miss');
    expect((await ask('eve', 'Where is the office?')).cache).toBe('miss');

    const stream = await gw.client('alice').chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Where is the office?' }], metadata: { app: 'faq' }, stream: true });
    for await (const _chunk of stream) void _chunk;

    const uncached = await gw.client('alice').chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Where is the office?' }] }).withResponse();
    expect(uncached.response.headers.get('x-kagami-cache')).toBeNull();
    await gw.client('alice').chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Where is the office?' }] });
    expect(gw.cloud.stats.requests).toBe(6);
  });

  it("expires entries after the rule's TTL", async () => {
    await ask('alice', 'Do you ship abroad?');
    gw.clock.advance(59_999);
    expect((await ask('alice', 'Do you ship abroad?')).cache).toBe('hit');
    gw.clock.advance(1);
    expect((await ask('alice', 'Do you ship abroad?')).cache).toBe('miss');
    expect(gw.cloud.stats.requests).toBe(2);
  });

  it('keys on the redacted request: another e-mail address hits, each client gets its own address back, and no raw address is stored', async () => {
    const first = await ask('alice', 'Please send the invoice to jane@example.com today.');
    expect(first).toMatchObject({ cache: 'miss', text: 'Please send the invoice to jane@example.com today.' });
    const second = await ask('alice', 'Please send the invoice to joe@example.org today.');
    expect(second).toMatchObject({ cache: 'hit', text: 'Please send the invoice to joe@example.org today.' });
    expect(gw.cloud.stats.requests).toBe(1);
    expect(JSON.stringify(gw.cloud.stats.recent)).not.toContain('@example');

    await gw.daemon.close(); // flushes the batched cache writes
    const db = new Database(join(gw.dataDir, 'kagami.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT body FROM policy_cache').all() as { body: string }[];
      expect(rows).toHaveLength(1);
      expect(rows[0]?.body).toContain('<EMAIL_1>');
      expect(rows[0]?.body).not.toContain('@example');
    } finally {
      db.close();
    }
  });

  it('never caches a request whose PII the policy lets through unredacted', async () => {
    await gw.close();
    gw = await startPolicyDaemon({
      policy: policy.replace('default: { route_to: mini }', 'default: { route_to: mini }\nredaction: { entities: { EMAIL: { action: allow } } }'),
      keys: { alice: { tenant: 'acme', user: 'alice' } },
      cloud: { echo: true },
    });
    const content = 'Please send the invoice to jane@example.com today.';
    // Sent as is (the upstream echoes it); the config still masks it in the answer.
    expect(await ask('alice', content)).toMatchObject({ cache: 'bypass', text: 'Please send the invoice to [EMAIL] today.' });
    expect(JSON.stringify(gw.cloud.stats.recent)).toContain('jane@example.com');
    expect((await ask('alice', content)).cache).toBe('bypass');
    expect(gw.cloud.stats.requests).toBe(2);
    expect((await gw.auditRows()).map((row) => row.cache_hit)).toEqual([false, false]);
    expect((await ask('alice', 'No personal data here.')).cache).toBe('miss');
  });

  it('never stores an answer in which the model wrote personal data itself', async () => {
    gw.cloud.setOptions({ echo: false, reply: 'Write to bob.jones@example.org for refunds.' });
    expect(await ask('alice', 'Who handles refunds?')).toMatchObject({ cache: 'miss', text: 'Write to [EMAIL] for refunds.' });
    expect((await ask('alice', 'Who handles refunds?')).cache).toBe('miss');
    expect(gw.cloud.stats.requests).toBe(2);
    expect(((await gw.auditRows())[0]?.decision as unknown as PolicyAnnotation).outcome?.cache).toMatchObject({ bypass: 'PII in the answer' });

    gw.cloud.setOptions({ reply: 'Refunds take five days.' });
    await ask('alice', 'How long do refunds take?');
    expect((await ask('alice', 'How long do refunds take?')).cache).toBe('hit');

    await gw.daemon.close(); // flushes the batched cache writes
    const db = new Database(join(gw.dataDir, 'kagami.db'), { readonly: true });
    try {
      const bodies = (db.prepare('SELECT body FROM policy_cache').all() as { body: string }[]).map((row) => row.body);
      expect(bodies).toHaveLength(1);
      expect(bodies.join('\n')).not.toContain('bob.jones');
    } finally {
      db.close();
    }
  });

  it('keeps entries in SQLite across a daemon restart', async () => {
    await ask('alice', 'What is the return policy?');
    await gw.restart();
    expect((await ask('alice', 'What is the return policy?')).cache).toBe('hit');
    expect(gw.cloud.stats.requests).toBe(1);
    expect((await gw.auditRows()).map((row) => row.cache_hit)).toEqual([false, true]);
  });
});
