// `kagami audit tail`: the last rows of the whole trail (requests, redaction findings, admin
// events, in seq order), one line each, and with `follow` the rows committed afterwards. The
// daemon is another process, so new rows are found by polling the sequence (a cheap indexed
// read, twice a second), not by events.
import { setTimeout as delay } from 'node:timers/promises';
import type { AdminEventRow, AuditRow, RedactionRow, TrailRow } from '../../shared/schemas/audit.js';
import { parseEntry, type AuditStore } from './audit-store.js';

const POLL_MS = 500;
const READ_BATCH = 1000;

export interface TailOptions {
  readonly count: number;
  readonly follow: boolean;
  readonly json: boolean;
  readonly signal: AbortSignal;
  readonly write: (line: string) => void;
  readonly pollMs?: number;
}

export async function tailTrail(store: Pick<AuditStore, 'head' | 'readAfter'>, options: TailOptions): Promise<void> {
  const print = (trail: TrailRow) => options.write(options.json ? `${JSON.stringify({ kind: trail.kind, ...trail.row })}\n` : `${formatRow(trail)}\n`);
  let cursor = Math.max(0, store.head().seq - options.count);
  const drain = () => {
    for (;;) {
      const batch = store.readAfter(cursor, READ_BATCH);
      for (const entry of batch) print(parseEntry(entry));
      if (batch.length === 0) return;
      cursor = batch[batch.length - 1]!.seq;
    }
  };
  drain();
  while (options.follow && !options.signal.aborted) {
    await delay(options.pollMs ?? POLL_MS, undefined, { signal: options.signal }).catch(() => {});
    if (!options.signal.aborted) drain();
  }
}

const time = (ts: number) => new Date(ts).toISOString();

export function formatRow(trail: TrailRow): string {
  if (trail.kind === 'request') {
    const row: AuditRow = trail.row;
    const who = `${row.tenant ?? '-'}/${row.user ?? '-'}`;
    const route = row.provider ? ` -> ${row.provider}/${row.upstream_model ?? '-'}` : '';
    const cost = row.cost_usd === null ? '' : ` $${row.cost_usd.toFixed(6)}`;
    const redacted = Object.entries(row.redactions).map(([key, n]) => `${key}×${n}`).join(',');
    const error = row.error_code ? ` ${row.error_code}` : '';
    return `${time(row.ts)} #${row.seq} request ${row.status}${error} ${who} ${row.requested_model ?? '-'}${route} ${Math.round(row.latency_ms)}ms${cost}${redacted ? ` redacted=${redacted}` : ''}${row.cache_hit ? ' cache' : ''} trace=${row.trace_id}`;
  }
  if (trail.kind === 'redaction') {
    const row: RedactionRow = trail.row;
    return `${time(row.ts)} #${row.seq} redaction ${row.entity_type} ${row.action} by ${row.detector} at ${row.location ?? '-'} ${row.preview ?? ''} trace=${row.trace_id}`;
  }
  const row: AdminEventRow = trail.row;
  return `${time(row.ts)} #${row.seq} admin ${row.type} by ${row.actor}${row.tenant ? ` tenant=${row.tenant}` : ''} ${JSON.stringify(row.details)}`;
}
