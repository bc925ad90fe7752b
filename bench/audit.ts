// The audit trail's costs: how many request rows the group-commit writer commits per second
// when requests arrive concurrently (and how many transactions that takes: one per event-loop
// turn, not one per row), how long a request waits for its row (append → COMMIT), and how fast
// `kagami audit verify` and the SIEM outbox read the chain back.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditRecord } from '../shared/schemas/audit.js';
import { createAuditStore } from '../daemon/audit/audit-store.js';
import { createAuditWriter } from '../daemon/audit/audit-writer.js';
import { verifyTrail } from '../daemon/audit/verify.js';
import { percentile } from '../daemon/routing/latency-tracker.js';
import { toSiemEvent } from '../daemon/siem/siem-event.js';
import { openDatabase } from '../daemon/store/db.js';

const ROWS = 50_000;
/** Requests in flight at once, each appending its row and awaiting the commit. */
const CONCURRENCY = 256;

const record = (i: number): AuditRecord => ({
  trace_id: i.toString(16).padStart(32, '0'), ts: Date.now(), tenant: 'acme', user: `user${i % 50}`, key_id: 'key_1',
  api: 'openai.chat', requested_model: 'gpt-4o-mini', provider: 'openai', endpoint: 'gpt-4o-mini', upstream_model: 'gpt-4o-mini-2024-07-18',
  status: 200, error_code: null, stream: i % 3 === 0, prompt_tokens: 120, completion_tokens: 300, total_tokens: 420,
  latency_ms: 812.5, upstream_ms: 800.25, gateway_ms: 12.25, request_sha256: 'a'.repeat(64), response_sha256: 'b'.repeat(64),
  rule: 'default', cost_usd: 0.000198, cache_hit: false, fallbacks: [], redactions: { 'EMAIL:mask': 1 }, decision: { candidates: ['openai'] },
});

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kagami-bench-audit-'));
  const db = openDatabase(dir);
  try {
    const writer = createAuditWriter(db);
    let commits = 0;
    writer.onCommit(() => (commits += 1));
    const waits: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < ROWS) {
        const i = next++;
        const at = performance.now();
        await writer.append(record(i));
        waits.push(performance.now() - at);
      }
    }));
    const writeMs = performance.now() - started;
    waits.sort((a, b) => a - b);
    console.log(`writer     ${ROWS} rows from ${CONCURRENCY} concurrent requests in ${writeMs.toFixed(0)} ms: ${Math.round(ROWS / (writeMs / 1000))} rows/s, ${commits} transactions (${(ROWS / commits).toFixed(1)} rows each)`);
    console.log(`           wait for the row's COMMIT: p50 ${percentile(waits, 0.5)!.toFixed(2)} ms, p99 ${percentile(waits, 0.99)!.toFixed(2)} ms`);

    const store = createAuditStore(db);
    let at = performance.now();
    const report = verifyTrail(store, { publicKey: null, externalCheckpoint: null });
    let ms = performance.now() - at;
    console.log(`verify     ${report.rows} rows in ${ms.toFixed(0)} ms: ${Math.round(report.rows / (ms / 1000))} rows/s (ok: ${report.ok})`);

    at = performance.now();
    let cursor = 0;
    let events = 0;
    for (;;) {
      const batch = store.readAfter(cursor, 500);
      if (batch.length === 0) break;
      events += batch.map(toSiemEvent).length;
      cursor = batch[batch.length - 1]!.seq;
    }
    ms = performance.now() - at;
    console.log(`outbox     read + shape ${events} events in batches of 500 in ${ms.toFixed(0)} ms: ${Math.round(events / (ms / 1000))} events/s`);
    await writer.close();
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
