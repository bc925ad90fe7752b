import { describe, expect, it } from 'vitest';
import { channelFor } from '../../../daemon/siem/splunk-hec-sink.js';
import { createSink } from '../../../daemon/siem/sinks.js';
import type { ReceivedRequest } from './http-receiver.js';
import { FakeClock } from './fake-clock.js';
import { describeSinkContract, useSinkContext } from './sink-contract.js';
import { testSinkDeps } from './sink-deps.js';

/** HEC batches are JSON objects one after another (not an array); parse them the same way. */
function hecEvents(body: string): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  let rest = body.trim();
  while (rest !== '') {
    let depth = 0;
    let inString = false;
    let end = 0;
    for (let i = 0; i < rest.length; i++) {
      const c = rest[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) {
        end = i + 1;
        break;
      }
    }
    events.push(JSON.parse(rest.slice(0, end)) as Record<string, unknown>);
    rest = rest.slice(end).trim();
  }
  return events;
}

const isEventPost = (request: ReceivedRequest) => request.path === '/services/collector/event';

describeSinkContract('splunk_hec', {
  create: (url, deps) => createSink({ type: 'splunk_hec', id: 'splunk', url, token: { env: 'TOKEN' } }, deps),
  idsIn: (request) => hecEvents(request.body).map((event) => (event.event as { event_id: string }).event_id),
  accept: () => ({ status: 200, body: '{"text":"Success","code":0}' }),
  isDelivery: isEventPost,
});

describe('splunk_hec sink wire format', () => {
  const context = useSinkContext();

  it('POSTs batched JSON events with the Splunk token and a stable request channel', async () => {
    const events = await context.events(2);
    context.receiver.handler = () => ({ status: 200, body: '{"text":"Success","code":0}' });
    const sink = createSink({ type: 'splunk_hec', id: 'splunk', url: `${context.receiver.url}/`, token: { env: 'TOKEN' }, index: 'llm', sourcetype: 'kagami:audit' }, testSinkDeps({ TOKEN: '11111111-2222' }));
    await sink.send(events, AbortSignal.timeout(5000));
    const [request] = context.receiver.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/services/collector/event' });
    expect(request!.headers.authorization).toBe('Splunk 11111111-2222');
    expect(request!.headers['x-splunk-request-channel']).toBe(channelFor('splunk'));
    expect(channelFor('splunk')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    const sent = hecEvents(request!.body);
    expect(sent).toHaveLength(4);
    expect(sent[0]).toEqual({
      time: 1_760_000_000,
      host: 'kagami-test-host',
      source: 'kagami',
      sourcetype: 'kagami:audit',
      index: 'llm',
      event: expect.objectContaining({ event_id: events[0]!.id, kind: 'request', event_type: 'llm.request', status: 200, tenant: 'acme' }),
    });
    expect(sent[1]!.time).toBe(1_760_000_000.001);
    expect(sent[2]!.event).toMatchObject({ kind: 'redaction', entity_type: 'EMAIL', action: 'mask', preview: 'j***@e***.com' });
  });

  it('treats a HEC error code as a failed batch', async () => {
    const events = await context.events(1);
    context.receiver.handler = () => ({ status: 200, body: '{"text":"Invalid data format","code":6}' });
    const sink = createSink({ type: 'splunk_hec', id: 'splunk', url: context.receiver.url, token: { env: 'TOKEN' } }, testSinkDeps({ TOKEN: 't' }));
    await expect(sink.send(events, AbortSignal.timeout(5000))).rejects.toThrow('code 6 Invalid data format');
  });

  describe('with indexer acknowledgement', () => {
    const ackSink = (deps: ReturnType<typeof testSinkDeps>) =>
      createSink({ type: 'splunk_hec', id: 'splunk', url: context.receiver.url, token: { env: 'TOKEN' }, ack: { enabled: true, poll_ms: 500, timeout_s: 60 } }, deps);

    it('counts a batch delivered only once its ackId is acknowledged', async () => {
      const events = await context.events(1);
      let polls = 0;
      context.receiver.handler = (request) => {
        if (request.path === '/services/collector/event') return { status: 200, body: '{"text":"Success","code":0,"ackId":7}' };
        polls += 1;
        expect(JSON.parse(request.body)).toEqual({ acks: [7] });
        expect(request.headers['x-splunk-request-channel']).toBe(channelFor('splunk'));
        return { status: 200, body: JSON.stringify({ acks: { 7: polls >= 3 } }) };
      };
      const clock = new FakeClock();
      let settled = false;
      const sending = ackSink(testSinkDeps({ TOKEN: 't' }, clock)).send(events, AbortSignal.timeout(5000)).finally(() => {
        settled = true;
      });
      await clock.runUntil(() => settled);
      await sending;
      expect(polls).toBe(3);
    });

    it('fails the batch when the acknowledgement never comes', async () => {
      const events = await context.events(1);
      context.receiver.handler = (request) =>
        request.path === '/services/collector/event' ? { status: 200, body: '{"text":"Success","code":0,"ackId":9}' } : { status: 200, body: '{"acks":{"9":false}}' };
      const clock = new FakeClock();
      let outcome: unknown = null;
      const sending = ackSink(testSinkDeps({ TOKEN: 't' }, clock)).send(events, AbortSignal.timeout(5000)).catch((error: unknown) => {
        outcome = error;
      });
      await clock.runUntil(() => outcome !== null);
      await sending;
      expect(String(outcome)).toContain('no indexer acknowledgement for ackId 9 within 60 s');
    });

    it('fails when HEC returns no ackId although acknowledgement is enabled', async () => {
      const events = await context.events(1);
      context.receiver.handler = () => ({ status: 200, body: '{"text":"Success","code":0}' });
      await expect(ackSink(testSinkDeps({ TOKEN: 't' })).send(events, AbortSignal.timeout(5000))).rejects.toThrow('no ackId');
    });
  });
});
