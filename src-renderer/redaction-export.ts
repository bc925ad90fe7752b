// Redaction-log exports for reviewers: CSV (spreadsheet-safe) and NDJSON. Rows come from
// the daemon already masked; these functions only serialise them.

import type { RedactionLogEntry } from '../shared/schemas/audit.js';

export const EXPORT_COLUMNS = ['time', 'trace_id', 'entity_type', 'detector', 'score', 'action', 'location', 'start', 'end', 'preview'] as const;

function cells(row: RedactionLogEntry): Record<(typeof EXPORT_COLUMNS)[number], string | number | null> {
  return {
    time: new Date(row.ts).toISOString(),
    trace_id: row.trace_id,
    entity_type: row.entity_type,
    detector: row.detector,
    score: row.score,
    action: row.action,
    location: row.location,
    start: row.start,
    end: row.end,
    preview: row.preview,
  };
}

/** RFC 4180 quoting, and a leading ' on text a spreadsheet would run as a formula. */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: readonly RedactionLogEntry[]): string {
  const lines = [EXPORT_COLUMNS.join(',')];
  for (const row of rows) {
    const c = cells(row);
    lines.push(EXPORT_COLUMNS.map((k) => csvCell(c[k])).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

export function toNdjson(rows: readonly RedactionLogEntry[]): string {
  return rows.map((row) => JSON.stringify(cells(row))).join('\n') + (rows.length > 0 ? '\n' : '');
}
