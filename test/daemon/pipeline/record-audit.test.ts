// recordAudit with the real AuditWriter (SQLite; committing on the event loop or in its worker
// thread) under both `audit.commit` settings: when the stage hands the answer back (JSON) or ends the stream (the route writes
// [DONE] right after), is the request's row committed yet? The stage and the writer run on
// promises only, so "not yet" is exact: the group commit runs on a later event-loop turn.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditCommit, AuditWriterPlace } from '../../../shared/schemas/audit.js';
import { createAuditStore } from '../../../daemon/audit/audit-store.js';
import { createAuditWriter, type AuditWriter } from '../../../daemon/audit/audit-writer.js';
import { createRequestEvents } from '../../../daemon/events/channels.js';
import type { JsonObject, Outcome, RequestContext } from '../../../daemon/pipeline/context.js';
import { createRecordAudit } from '../../../daemon/pipeline/record-audit.js';
import { openTrailDb, type TrailDb } from '../audit/trail-db.js';
import { requestContext } from '../../support/request-context.js';

function context(stream: boolean): RequestContext {
  return requestContext({ model: 'chat', stream, messages: [{ role: 'user', content: 'hi' }] });
}

const ANSWER: JsonObject = { choices: [{ index: 0, message: { role: 'assistant', content: 'hello' } }] };

async function* chunks(): AsyncIterable<JsonObject> {
  yield { choices: [{ index: 0, delta: { content: 'hel' } }] };
  yield { choices: [{ index: 0, delta: { content: 'lo' } }] };
}

describe.each(['event_loop', 'worker_thread'] as const)('recordAudit and audit.commit (writer: %s)', (place: AuditWriterPlace) => {
  let trail: TrailDb;
  let writer: AuditWriter;
  const rows = () => createAuditStore(trail.db).count().request;

  beforeEach(() => {
    trail = openTrailDb();
  });
  afterEach(async () => {
    await writer.close();
    trail.remove();
  });

  function stage(commit: AuditCommit) {
    writer = createAuditWriter(trail.db, { commit, writer: place });
    return createRecordAudit({ auditWriter: writer, events: createRequestEvents(), config: { models: [] } });
  }

  /** Runs the stage to the point where the route sends the answer: JSON returned, or the stream's last chunk read. */
  async function answer(commit: AuditCommit, stream: boolean): Promise<void> {
    const recordAudit = stage(commit);
    const outcome: Outcome = await recordAudit(context(stream), async () =>
      stream ? { kind: 'stream', status: 200, events: chunks() } : { kind: 'json', status: 200, body: ANSWER },
    );
    if (outcome.kind === 'stream') for await (const _chunk of outcome.events);
  }

  it('after_response (the default): the JSON answer is handed back before its row is committed; flush() commits it', async () => {
    await answer('after_response', false);
    expect(rows()).toBe(0);
    await writer.flush();
    expect(rows()).toBe(1);
    expect(createAuditStore(trail.db).readAfter(0, 1)[0]?.values[0]).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('after_response: a stream ends (and [DONE] can be written) before its row is committed; flush() commits it', async () => {
    await answer('after_response', true);
    expect(rows()).toBe(0);
    await writer.flush();
    expect(rows()).toBe(1);
  });

  it('before_response: the JSON answer is handed back only once its row is committed', async () => {
    await answer('before_response', false);
    expect(rows()).toBe(1);
  });

  it('before_response: a stream ends (before [DONE]) only once its row is committed', async () => {
    await answer('before_response', true);
    expect(rows()).toBe(1);
  });

  it('close() commits the rows of answers already sent with after_response', async () => {
    const recordAudit = stage('after_response');
    for (let i = 0; i < 5; i++) await recordAudit(context(false), async () => ({ kind: 'json', status: 200, body: ANSWER }));
    expect(rows()).toBe(0);
    await writer.close();
    expect(rows()).toBe(5);
  });
});

describe('recordAudit when a stage fails after the client went away', () => {
  let trail: TrailDb;
  let writer: AuditWriter;
  beforeEach(() => {
    trail = openTrailDb();
    writer = createAuditWriter(trail.db, { commit: 'before_response' });
  });
  afterEach(async () => {
    await writer.close();
    trail.remove();
  });

  const recorded = () => createAuditStore(trail.db).readAfter(0, 10).map((entry) => entry.values);
  const abandoned = (): never => {
    throw new DOMException('This operation was aborted', 'AbortError'); // what work dropped on the signal rejects with
  };

  it('records (and rethrows) a non-gateway error as client_disconnected (499), JSON and stream', async () => {
    const recordAudit = createRecordAudit({ auditWriter: writer, events: createRequestEvents(), config: { models: [] } });
    const gone = (stream: boolean): RequestContext => ({ ...context(stream), signal: AbortSignal.abort() });
    await expect(recordAudit(gone(false), async () => abandoned())).rejects.toMatchObject({ code: 'client_disconnected', status: 499 });
    const outcome = await recordAudit(gone(true), async () => ({
      kind: 'stream',
      status: 200,
      events: (async function* () {
        yield { choices: [{ index: 0, delta: { content: 'hel' } }] };
        abandoned();
      })(),
    }));
    await expect((async () => {
      if (outcome.kind === 'stream') for await (const _chunk of outcome.events);
    })()).rejects.toMatchObject({ code: 'client_disconnected' });
    expect(JSON.stringify(recorded())).toContain('client_disconnected');
    expect(JSON.stringify(recorded())).not.toContain('internal_error');
  });

  it('still records an unexpected error as internal_error while the client is there', async () => {
    const recordAudit = createRecordAudit({ auditWriter: writer, events: createRequestEvents(), config: { models: [] } });
    await expect(recordAudit(context(false), async () => abandoned())).rejects.toMatchObject({ code: 'internal_error', status: 500 });
  });
});
