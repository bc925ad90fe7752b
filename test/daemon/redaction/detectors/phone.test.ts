// PHONE: +CC / 00CC numbers validated by libphonenumber's metadata; national numbers scored by
// shape (NANP, trunk-prefixed groups) and context words.
import { describe, expect, it } from 'vitest';
import { phoneDetector } from '../../../../daemon/redaction/detectors/phone.js';
import { counted, describeDetector } from './detector-suite.js';

describeDetector(phoneDetector, {
  valid: [
    'Call me at ⟦+44 20 7946 0958⟧ tomorrow.',
    'Phone: ⟦(415) 555-0132⟧',
    'US ⟦+1 415-555-0132⟧',
    'Berlin ⟦+49 30 901820⟧',
    'dial ⟦0044 20 7946 0958⟧ from abroad',
    'my mobile number is ⟦07700 900123⟧',
    'tel. ⟦01 42 68 53 00⟧ (office)',
    'reach the desk on ⟦020 7946 0958⟧.',
    'ext ⟦(415) 555-0132 x204⟧',
    '⟦(555) 123-4567⟧ is the front desk', // 3-3-4 with an unassigned exchange: still written as a phone
    'fax ⟦001-541-754-3010⟧',
    'Tokyo office ⟦+81 3-1234-5678⟧', // the engine labels it JP_PHONE; the detector still finds it
    'license clerk\n\nPhone:\n⟦358 0594⟧', // the nearer context word decides
  ],
  nearMiss: [
    'on 2024-03-15 we shipped',
    'on 15/03/2024 we shipped',
    'SSN 536-22-8412', // the SSN shape
    'ISBN 978-3-16-148410-0',
    'Order 020 7946 0958', // an order number by context
    'invoice 12345678',
    'total 1,234,567',
    '+44 12', // too short
    '+1 800 555', // too short
    '+999 1234 5678', // no such country code
    'TEL 00-4348-5523', // 00 then a separator: neither international nor national
    '2437 Main St',
    'version 10.0.19045.1234',
    "my driver's license number is 2270-66-1551", // "number" names the licence here
    'the sum is 0.000123456', // a decimal number
    'SKU 0101-2233-44',
  ],
});

describe('phone context words', () => {
  it('raises a bare national number after "phone" and lowers it after "account"', () => {
    const [bare] = phoneDetector.detect('020 7946 0958');
    const [phone] = phoneDetector.detect('phone 020 7946 0958');
    const [account] = phoneDetector.detect('account 020 7946 0958');
    expect(phone?.score).toBeGreaterThan(bare?.score ?? 1);
    expect(account?.score).toBeLessThan(bare?.score ?? 0);
    expect(counted(phoneDetector, 'account 020 7946 0958')).toEqual([]);
  });

  it('lowers a number followed by a street word', () => {
    expect(counted(phoneDetector, 'we moved to 2437 5555 Main Street')).toEqual([]);
  });
});
