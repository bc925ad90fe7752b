// CREDIT_CARD: Luhn + issuer prefix and length + a card-like grouping. Valid values are the
// issuers' published test numbers; near misses differ from one by a single property.
import { describe, expect, it } from 'vitest';
import { creditCardDetector } from '../../../../daemon/redaction/detectors/credit-card.js';
import { counted, describeDetector } from './detector-suite.js';

describeDetector(creditCardDetector, {
  valid: [
    'My card number is ⟦4111 1111 1111 1111⟧.', // Visa 16
    'visa ⟦4222222222222⟧ (old 13-digit)', // Visa 13
    'Charge ⟦5555-5555-5555-4444⟧ please', // Mastercard 51–55
    'new range ⟦2223003122003222⟧', // Mastercard 2221–2720
    'Amex ⟦3782 822463 10005⟧ exp 11/27', // Amex 15, 4-6-5
    'Discover: ⟦6011111111111117⟧', // Discover
    'Diners ⟦3056 930902 5904⟧', // Diners 14
    'JCB ⟦3530111333300000⟧', // JCB
    'UnionPay ⟦6200000000000005⟧', // UnionPay
    'Maestro ⟦6759649826438453⟧', // Maestro
    'Mir ⟦2200123456789019⟧', // Mir 2200–2204
    'RuPay ⟦6081123456789014⟧', // RuPay
    'Visa 19 ⟦4111111111111111110⟧',
  ],
  nearMiss: [
    'My card number is 4111 1111 1111 1112.', // Luhn fails
    'card 9111111111111110', // Luhn passes, no issuer starts with 9
    'card 3782822463100052', // Amex prefix with 16 digits
    'card 41111111111111113', // Visa prefix with 17 digits
    'card 4111-1111 1111 1111', // two different separators
    'card 41 11 11 11 11 11 11 11', // groups of two are not how cards are written
    'ID4111111111111111', // glued to a word
    'total 4111111111111111.50', // a decimal amount
    'card 0000 0000 0000 0000',
    '法人番号：4408622684398', // 13 digits that pass Luhn after a corporate-number label
  ],
});

describe('credit card scoring', () => {
  it('lowers the score next to order/tracking words but still counts a valid card', () => {
    const [card] = creditCardDetector.detect('card 4111111111111111');
    const [order] = creditCardDetector.detect('Order 4111111111111111');
    expect(card?.score).toBeGreaterThan(order?.score ?? 1);
    expect(counted(creditCardDetector, 'Order 4111111111111111')).toHaveLength(1);
  });
});
