// `kagami audit tail`: the last rows of the whole trail, then (follow) rows committed later,
// found by polling the sequence as the CLI does against a daemon in another process.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditStore } from '../../../daemon/audit/audit-store.js';
import { createAuditWriter, type AuditWriter } from '../../../daemon/audit/audit-writer.js';
import { tailTrail } from '../../../daemon/audit/tail.js';
import { openTrailDb, sampleRecord, type TrailDb } from './trail-db.js';

describe('tailTrail', () => {
  let trail: TrailDb;
  let writer: AuditWriter;

  beforeEach(async () => {
    trail = openTrailDb();
    writer = createAuditWriter(trail.db);
    for (let i = 1; i <= 5; i++) await writer.append(sampleRecord({ trace_id: `t${i}` }));
  });
  afterEach(() => trail.remove());

  it('prints the last N rows, then follows new ones until stopped', async () => {
    const lines: string[] = [];
    const stop = new AbortController();
    let onLine: (() => void) | null = null;
    const tailing = tailTrail(createAuditStore(trail.db), {
      count: 2, follow: true, json: true, signal: stop.signal, pollMs: 5,
      write: (line) => {
        lines.push(line);
        onLine?.();
      },
    });
    expect(lines.map((line) => (JSON.parse(line) as { trace_id: string }).trace_id)).toEqual(['t4', 't5']);
    const arrived = new Promise<void>((resolve) => (onLine = () => lines.length === 4 && resolve()));
    await writer.append(sampleRecord({ trace_id: 't6' }));
    await writer.appendAdminEvent({ type: 'key.revoked', actor: 'cli', details: { key_id: 'k9' } });
    await arrived;
    stop.abort();
    await tailing;
    expect(lines.slice(2).map((line) => JSON.parse(line) as { kind: string; seq: number })).toMatchObject([{ kind: 'request', seq: 6 }, { kind: 'admin', seq: 7 }]);
  });

  it('formats one readable line per row', async () => {
    const lines: string[] = [];
    await tailTrail(createAuditStore(trail.db), { count: 1, follow: false, json: false, signal: new AbortController().signal, write: (line) => lines.push(line) });
    expect(lines).toEqual(['2025-10-09T08:53:20.000Z #5 request 200 acme/alice gpt-4o-mini -> openai/gpt-4o-mini-2024-07-18 812ms $0.000020 redacted=EMAIL:mask×1 trace=t5\n']);
  });
});
