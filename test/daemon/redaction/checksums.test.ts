// The arithmetic validators: Luhn (cards), ISO 7064 mod 97-10 (IBAN), Shannon entropy (tokens).
import { describe, expect, it } from 'vitest';
import { passesIbanMod97, passesLuhn, shannonEntropy } from '../../../daemon/redaction/checksums.js';

describe('passesLuhn', () => {
  it.each(['4111111111111111', '5555555555554444', '378282246310005', '6011111111111117', '79927398713', '0'])('accepts %s', (digits) => {
    expect(passesLuhn(digits)).toBe(true);
  });

  it('rejects every single-digit change and every adjacent transposition of a valid number', () => {
    const valid = '4539578763621486';
    for (let i = 0; i < valid.length; i++) {
      for (let d = 0; d <= 9; d++) {
        const changed = valid.slice(0, i) + String(d) + valid.slice(i + 1);
        if (changed !== valid) expect(passesLuhn(changed), changed).toBe(false);
      }
    }
    for (let i = 0; i + 1 < valid.length; i++) {
      const swapped = valid.slice(0, i) + valid[i + 1] + valid[i] + valid.slice(i + 2);
      // Luhn misses only the 09 ↔ 90 transposition.
      if (swapped !== valid && !/^(09|90)$/.test(valid.slice(i, i + 2))) expect(passesLuhn(swapped), swapped).toBe(false);
    }
  });

  it('rejects empty input and non-digits', () => {
    expect(passesLuhn('')).toBe(false);
    expect(passesLuhn('4111-1111-1111-1111')).toBe(false);
    expect(passesLuhn('411111111111111a')).toBe(false);
  });
});

describe('passesIbanMod97', () => {
  it.each(['GB82WEST12345698765432', 'DE89370400440532013000', 'FR1420041010050500013M02606', 'NO9386011117947', 'MT84MALT011000012345MTLCAST001S'])(
    'accepts %s',
    (iban) => {
      expect(passesIbanMod97(iban)).toBe(true);
    },
  );

  it('rejects a changed check digit, a changed BBAN character and a swapped pair', () => {
    expect(passesIbanMod97('GB83WEST12345698765432')).toBe(false);
    expect(passesIbanMod97('GB82WEST12345698765433')).toBe(false);
    expect(passesIbanMod97('GB82WEST12345698765423')).toBe(false);
    expect(passesIbanMod97('GB82WEsT12345698765432')).toBe(false); // lower case is not normalised here
    expect(passesIbanMod97('GB82 WEST12345698765432')).toBe(false);
  });
});

describe('shannonEntropy', () => {
  it('is 0 for one repeated character and log2(n) for n distinct ones', () => {
    expect(shannonEntropy('')).toBe(0);
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('ab')).toBeCloseTo(1, 10);
    expect(shannonEntropy('0123456789abcdef')).toBeCloseTo(4, 10);
  });

  it('tells a random token from a word', () => {
    expect(shannonEntropy('rvWdFrK9xiRGHOY32nfr5pyzPCB9t203')).toBeGreaterThan(4);
    expect(shannonEntropy('passwordpassword')).toBeLessThan(3);
  });
});
