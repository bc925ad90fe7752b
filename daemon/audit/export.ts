// `kagami audit export`: trail rows matching the query filters, oldest first, as NDJSON (the
// exact stored form, chain fields included, so an export can be re-verified) or CSV (for
// spreadsheets: one header line, RFC 4180 quoting, JSON-valued fields as JSON text, and text
// cells that a spreadsheet would run as a formula prefixed with ' (OWASP's CSV injection
// advice: requested model names come from clients). Pages through the query store, so an
// export of millions of rows holds one page in memory.
import type { AuditQuery, AuditRow, AdminEventRow, RedactionQuery, RedactionRow } from '../../shared/schemas/audit.js';
import type { AuditQueryStore } from './audit-query-store.js';
import { COLUMNS } from './audit-store.js';

export type ExportFormat = 'ndjson' | 'csv';

export type ExportSelection =
  | { readonly kind: 'request'; readonly filter: AuditQuery }
  | { readonly kind: 'redaction'; readonly filter: RedactionQuery }
  | { readonly kind: 'admin'; readonly filter: { from?: number; to?: number; type?: string } };

const PAGE = 1000;
const CHAIN = ['seq', 'prev_hash', 'hash'] as const;

type Row = AuditRow | RedactionRow | AdminEventRow;

/** Writes the selected rows; resolves with how many. `write` may return a promise (backpressure). */
export async function exportTrail(
  query: AuditQueryStore,
  selection: ExportSelection,
  format: ExportFormat,
  write: (chunk: string) => void | Promise<void>,
): Promise<number> {
  const columns: readonly string[] = [...CHAIN, ...COLUMNS[selection.kind]];
  if (format === 'csv') await write(`${columns.join(',')}\r\n`);
  let cursor: number | undefined;
  let count = 0;
  for (;;) {
    const page = readPage(query, selection, cursor);
    if (page.items.length === 0) break;
    const text = page.items.map((row) => (format === 'ndjson' ? `${JSON.stringify(row)}\n` : csvLine(row, columns))).join('');
    await write(text);
    count += page.items.length;
    if (page.next_cursor === null) break;
    cursor = page.next_cursor;
  }
  return count;
}

function readPage(query: AuditQueryStore, selection: ExportSelection, cursor: number | undefined): { items: Row[]; next_cursor: number | null } {
  const paging = { ...(cursor === undefined ? {} : { cursor }), limit: PAGE };
  if (selection.kind === 'request') return query.requests({ ...selection.filter, ...paging }, 'asc');
  if (selection.kind === 'redaction') return query.redactions({ ...selection.filter, ...paging }, 'asc');
  return query.adminEvents({ ...selection.filter, ...paging }, 'asc');
}

function csvLine(row: Row, columns: readonly string[]): string {
  const record = row as unknown as Record<string, unknown>;
  return `${columns.map((column) => csvCell(record[column])).join(',')}\r\n`;
}

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
