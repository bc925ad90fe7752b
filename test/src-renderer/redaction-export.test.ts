import { describe, expect, it } from 'vitest';
import type { RedactionLogEntry } from '../../shared/schemas/audit.js';
import { csvCell, toCsv, toNdjson } from '../../src-renderer/redaction-export.js';

const row: RedactionLogEntry = {
  trace_id: 'abc',
  ts: Date.UTC(2026, 0, 2, 3, 4, 5),
  entity_type: 'EMAIL',
  detector: 'email',
  score: 0.99,
  action: 'mask',
  location: 'messages[0].content',
  start: 13,
  end: 33,
  preview: 'mail me at [EMAIL], "thanks"',
};

describe('redaction export', () => {
  it('writes RFC 4180 CSV with a header and quoted fields', () => {
    expect(toCsv([row])).toBe(
      'time,trace_id,entity_type,detector,score,action,location,start,end,preview\r\n' +
        '2026-01-02T03:04:05.000Z,abc,EMAIL,email,0.99,mask,messages[0].content,13,33,"mail me at [EMAIL], ""thanks"""\r\n',
    );
  });

  it('defuses spreadsheet formulas in text cells', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('+1 555')).toBe("'+1 555");
    expect(csvCell(-1)).toBe('-1');
    expect(csvCell(null)).toBe('');
  });

  it('writes one JSON object per line', () => {
    const lines = toNdjson([row, { ...row, trace_id: 'def' }]).trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { trace_id: string }).trace_id)).toEqual(['abc', 'def']);
    expect(toNdjson([])).toBe('');
  });
});
