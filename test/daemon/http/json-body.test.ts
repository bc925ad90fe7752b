// The nesting check that runs before JSON.parse, against the plain byte-by-byte scan it
// replaced (strings skipped, a backslash escapes the next byte), on every kind of input the
// jump to a string's closing quote could get wrong: escaped quotes, runs of backslashes,
// brackets inside strings, unterminated strings.
import { describe, expect, it } from 'vitest';
import { jsonDepthExceeds } from '../../../daemon/http/json-body.js';

function byteByByte(bytes: Uint8Array, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === 0x5c) i++;
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) {
      inString = true;
    } else if (byte === 0x7b || byte === 0x5b) {
      if (++depth > limit) return true;
    } else if (byte === 0x7d || byte === 0x5d) {
      depth--;
    }
  }
  return false;
}

describe('jsonDepthExceeds', () => {
  it('counts {} and [] nesting and ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonDepthExceeds(Buffer.from('{"a":[[1]]}'), 3)).toBe(false);
    expect(jsonDepthExceeds(Buffer.from('{"a":[[1]]}'), 2)).toBe(true);
    expect(jsonDepthExceeds(Buffer.from('{"a":"[[[\\"[[["}'), 1)).toBe(false);
    expect(jsonDepthExceeds(Buffer.from('{"a\\\\":[[1]]}'), 2)).toBe(true);
    expect(jsonDepthExceeds(Buffer.from('{"a":"unterminated [[['), 1)).toBe(false);
  });

  it('agrees with a byte-by-byte scan on 20,000 random strings of brackets, quotes and backslashes', () => {
    const alphabet = '{}[]"\\\\a';
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let run = 0; run < 20_000; run++) {
      let text = '';
      const length = random(40);
      for (let i = 0; i < length; i++) text += alphabet[random(alphabet.length)];
      const bytes = Buffer.from(text);
      const limit = random(5);
      if (jsonDepthExceeds(bytes, limit) !== byteByByte(bytes, limit)) {
        expect(jsonDepthExceeds(bytes, limit), `${text} (limit ${limit})`).toBe(byteByByte(bytes, limit));
      }
    }
  });
});
