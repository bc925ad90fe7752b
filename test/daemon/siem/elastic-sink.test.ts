import { EcsFlat } from '@elastic/ecs';
import { describe, expect, it } from 'vitest';
import { createSink } from '../../../daemon/siem/sinks.js';
import { describeSinkContract, useSinkContext } from './sink-contract.js';
import { testSinkDeps } from './sink-deps.js';

type Doc = Record<string, unknown>;

const bulkLines = (body: string) => body.trim().split('\n').map((line) => JSON.parse(line) as Doc);
const ok = (body: string) => ({
  status: 200,
  body: JSON.stringify({ errors: false, items: bulkLines(body).filter((_, i) => i % 2 === 0).map(() => ({ create: { status: 201 } })) }),
});

describeSinkContract('elastic', {
  create: (url, deps) => createSink({ type: 'elastic', id: 'es', url, api_key: { env: 'TOKEN' } }, deps),
  idsIn: (request) => bulkLines(request.body).filter((_, i) => i % 2 === 0).map((action) => (action.create as { _id: string })._id),
  accept: (request) => ok(request.body),
});

/** Leaf paths of a nested document (arrays of scalars are leaves, as ECS lists are). */
function leaves(doc: Doc, prefix = ''): [string, unknown][] {
  return Object.entries(doc).flatMap(([key, value]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? leaves(value as Doc, path) : [[path, value] as [string, unknown]];
  });
}

/** Does a value fit the ECS field's declared type? */
function fitsEcsType(type: string, value: unknown): boolean {
  const values = Array.isArray(value) ? value : [value];
  return values.every((v) => {
    switch (type) {
      case 'keyword':
      case 'match_only_text':
      case 'text':
      case 'wildcard':
        return typeof v === 'string';
      case 'long':
      case 'integer':
        return Number.isInteger(v);
      case 'float':
      case 'scaled_float':
        return typeof v === 'number';
      case 'date':
        return typeof v === 'string' && !Number.isNaN(Date.parse(v)) && /Z$/.test(v);
      case 'boolean':
        return typeof v === 'boolean';
      default:
        return false;
    }
  });
}

describe('elastic sink wire format', () => {
  const context = useSinkContext();

  it('sends a _bulk NDJSON body of create actions keyed by the event id', async () => {
    const events = await context.events(2);
    context.receiver.handler = (request) => ok(request.body);
    await createSink({ type: 'elastic', id: 'es', url: context.receiver.url, index: 'logs-kagami.audit-default', api_key: { env: 'TOKEN' } }, testSinkDeps({ TOKEN: 'a2V5' })).send(events, AbortSignal.timeout(5000));
    const [request] = context.receiver.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/_bulk' });
    expect(request!.headers).toMatchObject({ 'content-type': 'application/x-ndjson', authorization: 'ApiKey a2V5' });
    expect(request!.body.endsWith('\n')).toBe(true);
    const lines = bulkLines(request!.body);
    expect(lines).toHaveLength(8);
    expect(lines[0]).toEqual({ create: { _index: 'logs-kagami.audit-default', _id: events[0]!.id } });
  });

  it('uses ECS field names with ECS types for everything outside the kagami.* namespace', async () => {
    const events = await context.events(1);
    context.receiver.handler = (request) => ok(request.body);
    await createSink({ type: 'elastic', id: 'es', url: context.receiver.url }, testSinkDeps()).send(events, AbortSignal.timeout(5000));
    const docs = bulkLines(context.receiver.requests[0]!.body).filter((_, i) => i % 2 === 1);
    expect(docs.map((doc) => (doc.event as Doc).dataset)).toEqual(['kagami.request', 'kagami.redaction', 'kagami.admin']);
    const ecsFields = EcsFlat as Record<string, { type: string; allowed_values?: { name: string }[] }>;
    let checked = 0;
    for (const doc of docs) {
      for (const [path, value] of leaves(doc)) {
        if (path.startsWith('kagami.')) continue;
        const field = ecsFields[path];
        expect(field, `${path} is not an ECS field`).toBeDefined();
        expect(fitsEcsType(field!.type, value), `${path}: ${JSON.stringify(value)} is not ECS type ${field!.type}`).toBe(true);
        if (field!.allowed_values) {
          const allowed = field!.allowed_values.map((v) => v.name);
          for (const v of Array.isArray(value) ? value : [value]) expect(allowed, `${path}=${String(v)}`).toContain(v);
        }
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(40);
    const request = docs[0]!;
    expect(request).toMatchObject({
      '@timestamp': '2025-10-09T08:53:20.000Z',
      event: { id: events[0]!.id, kind: 'event', action: 'llm.request', outcome: 'success', duration: 812_250_000, sequence: 1, hash: events[0]!.id },
      trace: { id: '4bf92f3577b34da6a3ce929d0e0e4736' },
      user: { name: 'alice' },
      organization: { name: 'acme' },
      http: { response: { status_code: 200 } },
      gen_ai: { request: { model: 'gpt-4o-mini' }, response: { model: 'gpt-4o-mini-2024-07-18' }, usage: { input_tokens: 12, output_tokens: 30 } },
      kagami: { request: { cost_usd: 0.0000198, redactions: { 'EMAIL:mask': 1 } } },
    });
  });

  it('counts 409 (already indexed: a resend) as delivered and any other item failure as a failed batch', async () => {
    const events = await context.events(1);
    const sink = createSink({ type: 'elastic', id: 'es', url: context.receiver.url }, testSinkDeps());
    context.receiver.handler = () => ({ status: 200, body: JSON.stringify({ errors: true, items: [{ create: { status: 409, error: { type: 'version_conflict_engine_exception' } } }, { create: { status: 201 } }, { create: { status: 201 } }] }) });
    await sink.send(events, AbortSignal.timeout(5000));
    context.receiver.handler = () => ({ status: 200, body: JSON.stringify({ errors: true, items: [{ create: { status: 201 } }, { create: { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'queue full' } } }, { create: { status: 201 } }] }) });
    await expect(sink.send(events, AbortSignal.timeout(5000))).rejects.toThrow('429 es_rejected_execution_exception queue full');
  });
});
