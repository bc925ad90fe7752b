// IBAN: country code + check digits + BBAN, the registry length for the country and an ISO 7064
// mod-97 remainder of 1; solid, grouped by four, upper or lower case. Valid values are the
// IBAN registry's own examples.
import { describe, expect, it } from 'vitest';
import { ibanDetector } from '../../../../daemon/redaction/detectors/iban.js';
import { counted, describeDetector } from './detector-suite.js';

describeDetector(ibanDetector, {
  valid: [
    'IBAN: ⟦GB82 WEST 1234 5698 7654 32⟧',
    'wire to ⟦DE89370400440532013000⟧ please',
    'FR: ⟦FR14 2004 1010 0505 0001 3M02 606⟧.',
    'lower case ⟦gb82west12345698765432⟧ too',
    'NO ⟦NO9386011117947⟧ (shortest)',
    'MT ⟦MT84MALT011000012345MTLCAST001S⟧ (long)',
    'Saudi ⟦SA03 8000 0000 6080 1016 7519⟧',
    'dashes ⟦CH93-0076-2011-6238-5295-7⟧',
  ],
  nearMiss: [
    'IBAN: GB82 WEST 1234 5698 7654 33', // mod-97 fails
    'IBAN: GB83 WEST 1234 5698 7654 32', // check digits changed
    'IBAN: GB82 WEST 1234 5698 7654', // too short for GB
    'IBAN: ZZ82 WEST 1234 5698 7654 32', // no such country
    'IBAN: Gb82 West 1234 5698 7654 32', // mixed case: a lookalike
    'IBAN: DE89370400440532013001', // one digit off
  ],
});

describe('IBAN boundaries', () => {
  it('ends the span where the country length ends, not at the next word', () => {
    expect(counted(ibanDetector, 'GB82 WEST 1234 5698 7654 32 thanks')).toEqual([['GB82 WEST 1234 5698 7654 32', 0, 27]]);
  });

  it('rejects an IBAN cut in the middle of a longer group', () => {
    expect(counted(ibanDetector, 'GB82 WEST 1234 5698 7654 3299')).toEqual([]);
  });
});
