import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, hashRow, type SqlValue } from '../../../daemon/audit/hash-chain.js';

const VALUES: SqlValue[] = ['trace-1', 1763900000000.5, 'tenant "q" é 😀', null, 0.1, -0, 'line\nbreak\u2028', '[]', '{"PERSON:mask":2}'];

describe('hashRow', () => {
  it('keeps the v1 format: SHA-256 of the domain and the JSON array [kind, seq, prevHash, ...values]', () => {
    const expected = createHash('sha256').update('kagami-audit/v1\n').update(JSON.stringify(['request', 7, 'a'.repeat(64), ...VALUES])).digest('hex');
    expect(hashRow('request', 7, 'a'.repeat(64), VALUES)).toBe(expected);
  });

  it('gives the hashes rows were written with before (pinned vectors)', () => {
    expect(hashRow('request', 7, 'a'.repeat(64), VALUES)).toBe('ece61f22b28505a74bd08cf70976ae47644b98536f751e5107f7033d6656c224');
    expect(hashRow('admin', 1, GENESIS_HASH, [1, 'key_created', 'cli', null, '{}'])).toBe('75659dcf5c4fba9210a016dd1104f12c46ce4112dcfca8692467fe48aff08a8d');
  });

  it('does not carry values over between rows of different lengths', () => {
    const long = hashRow('request', 2, GENESIS_HASH, VALUES);
    expect(hashRow('admin', 3, long, [1, 'a', 'b', null, '{}'])).toBe(
      createHash('sha256').update('kagami-audit/v1\n').update(JSON.stringify(['admin', 3, long, 1, 'a', 'b', null, '{}'])).digest('hex'),
    );
    expect(hashRow('request', 2, GENESIS_HASH, VALUES)).toBe(long);
  });
});
