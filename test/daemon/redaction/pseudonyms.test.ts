// Reversible per-request placeholders: stable per value, numbered per label, restored in the
// answer (also inside JSON strings), and the hold-back point for a placeholder cut by a chunk.
import { describe, expect, it } from 'vitest';
import { PseudonymTable } from '../../../daemon/redaction/pseudonyms.js';

describe('PseudonymTable', () => {
  it('mints one placeholder per distinct value, treating formatting variants as the same value', () => {
    const table = new PseudonymTable();
    expect(table.placeholderFor('EMAIL', 'Alice@Example.com')).toBe('<EMAIL_1>');
    expect(table.placeholderFor('EMAIL', 'alice@example.com')).toBe('<EMAIL_1>');
    expect(table.placeholderFor('EMAIL', 'bob@example.com')).toBe('<EMAIL_2>');
    expect(table.placeholderFor('PHONE', '+44 20 7946 0958')).toBe('<PHONE_1>');
    expect(table.placeholderFor('PHONE', '+44-20-7946-0958')).toBe('<PHONE_1>');
    expect(table.placeholderFor('JP_NAME', '山田太郎')).toBe('<PERSON_1>');
    expect(table.size).toBe(4);
    // The first spelling seen is the one restored.
    expect(table.restore('write <EMAIL_1>')).toBe('write Alice@Example.com');
  });

  it('restores every known placeholder and leaves look-alikes alone', () => {
    const table = new PseudonymTable();
    table.placeholderFor('EMAIL', 'alice@example.com');
    table.placeholderFor('JP_NAME', '山田太郎');
    expect(table.restore('<PERSON_1> (<EMAIL_1>), not <EMAIL_9> or <div> or <EMAIL_1')).toBe('山田太郎 (alice@example.com), not <EMAIL_9> or <div> or <EMAIL_1');
  });

  it('escapes originals for the inside of a JSON string', () => {
    const table = new PseudonymTable();
    table.placeholderFor('JP_ADDRESS', '東京都 "本社"\\1');
    const args = `{"where":"${'<JP_ADDRESS_1>'}"}`;
    expect(JSON.parse(table.restore(args, true))).toEqual({ where: '東京都 "本社"\\1' });
  });

  it('points at a possibly unfinished placeholder at the end of a text, only when it has placeholders', () => {
    const empty = new PseudonymTable();
    expect(empty.pendingPlaceholderStart('hello <EMA')).toBe(-1);
    const table = new PseudonymTable();
    table.placeholderFor('EMAIL', 'a@example.com');
    expect(table.pendingPlaceholderStart('hello <')).toBe(6);
    expect(table.pendingPlaceholderStart('hello <EMA')).toBe(6);
    expect(table.pendingPlaceholderStart('hello <EMAIL_1')).toBe(6);
    expect(table.pendingPlaceholderStart('hello <EMAIL_1>')).toBe(-1);
    expect(table.pendingPlaceholderStart('a < b')).toBe(-1);
    expect(table.pendingPlaceholderStart('<div')).toBe(-1);
  });
});
