// Trail rows (as the audit store reads them) to the events every sink ships.
import type { RawEntry } from '../audit/audit-store.js';
import { parseEntry } from '../audit/audit-store.js';
import type { SiemEvent } from './sink.js';

export function toSiemEvent(entry: RawEntry): SiemEvent {
  const { kind, row } = parseEntry(entry);
  return { id: entry.hash, seq: entry.seq, kind, ts: row.ts, record: row };
}
