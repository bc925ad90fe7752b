// US_SSN: AAA-GG-SSSS outside the ranges the SSA never issues; nine bare digits only with a
// context word.
import { describe, expect, it } from 'vitest';
import { usSsnDetector } from '../../../../daemon/redaction/detectors/us-ssn.js';
import { counted, describeDetector } from './detector-suite.js';

describeDetector(usSsnDetector, {
  valid: ['My SSN is ⟦536-22-8412⟧.', 'social security number ⟦536 22 8412⟧', 'SSN: ⟦536228412⟧ (employee)', 'ssn ⟦001-01-0001⟧', 'ssn ⟦899-99-9999⟧'],
  nearMiss: [
    'SSN 000-12-3456', // area 000
    'SSN 666-12-3456', // area 666
    'SSN 900-12-3456', // area 900–999
    'SSN 999-12-3456',
    'SSN 123-00-4567', // group 00
    'SSN 123-45-0000', // serial 0000
    'SSN 078-05-1120', // the Woolworth wallet card
    'SSN 123-45-6789', // the textbook sample
    'SSN 111-11-1111',
    '536228412', // nine bare digits, no context
    'SSN 536-22.8412', // mixed separators
    'SSN 536-22-84120', // ten digits
    'v1.536-22-8412',
  ],
});

describe('SSN context words', () => {
  it('counts nine bare digits only after "SSN" / "social security"', () => {
    expect(counted(usSsnDetector, 'account 536228412')).toEqual([]);
    expect(counted(usSsnDetector, 'her social security no. 536228412')).toHaveLength(1);
  });

  it('lowers a separated SSN next to phone and order words', () => {
    const [plain] = usSsnDetector.detect('value 536-22-8412');
    const [phone] = usSsnDetector.detect('phone 536-22-8412');
    expect(phone?.score).toBeLessThan(plain?.score ?? 0);
    expect(counted(usSsnDetector, 'Order 536-22-8412')).toEqual([]);
  });
});
