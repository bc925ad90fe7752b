import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSink } from '../../../daemon/siem/sinks.js';
import { describeSinkContract, useSinkContext } from './sink-contract.js';
import { testSinkDeps } from './sink-deps.js';

const create = (url: string, deps = testSinkDeps({ TOKEN: 'secret-token' })) =>
  createSink({ type: 'webhook', id: 'hook', url: `${url}/ingest`, headers: { 'X-Api-Key': { env: 'TOKEN' }, 'X-Team': 'sec' }, hmac_secret: { env: 'TOKEN' } }, deps);

describeSinkContract('webhook', {
  create,
  idsIn: (request) => request.body.trim().split('\n').map((line) => (JSON.parse(line) as { event_id: string }).event_id),
  accept: () => ({ status: 200 }),
});

describe('webhook sink wire format', () => {
  const context = useSinkContext();

  it('POSTs NDJSON, one event per line, signed with HMAC-SHA256 and naming the seq range', async () => {
    const events = await context.events(2);
    context.receiver.handler = () => ({ status: 204 });
    await create(context.receiver.url).send(events, AbortSignal.timeout(5000));
    const [request] = context.receiver.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/ingest' });
    expect(request!.headers).toMatchObject({ 'content-type': 'application/x-ndjson', 'x-api-key': 'secret-token', 'x-team': 'sec', 'x-kagami-batch': '1-4' });
    expect(request!.headers['x-kagami-signature']).toBe(`sha256=${createHmac('sha256', 'secret-token').update(request!.body).digest('hex')}`);
    expect(request!.body.endsWith('\n')).toBe(true);
    const lines = request!.body.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => [line.kind, line.event_type, line.seq])).toEqual([
      ['request', 'llm.request', 1], ['request', 'llm.request', 2], ['redaction', 'pii.redaction', 3], ['admin', 'key.created', 4],
    ]);
    expect(lines[0]).toMatchObject({ trace_id: expect.any(String), hash: events[0]!.id, prev_hash: '0'.repeat(64), tenant: 'acme' });
  });
});
