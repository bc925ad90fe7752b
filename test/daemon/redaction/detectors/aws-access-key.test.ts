// AWS_ACCESS_KEY: a documented four-letter prefix + 16 base32 characters.
import { describe, expect, it } from 'vitest';
import { awsAccessKeyDetector } from '../../../../daemon/redaction/detectors/aws-access-key.js';
import { describeDetector } from './detector-suite.js';

describeDetector(awsAccessKeyDetector, {
  valid: [
    'aws_access_key_id = ⟦AKIAYUHVAUVZHMASQXEZ⟧',
    'export AWS_ACCESS_KEY_ID=⟦ASIAYEX3RDRGDSJPR3UM⟧',
    'AWS documents ⟦AKIAIOSFODNN7EXAMPLE⟧ as its example key',
    'role id ⟦AROAX3BZNFD24IS7DIK6⟧ in the trust policy',
  ],
  nearMiss: [
    'AKIA1234 is too short',
    'akiayuhvauvzhmasqxez', // lower case
    'AKIAYUHVAUVZHMASQXE', // 15 after the prefix
    'AKIAYUHVAUVZHMASQXEZQ', // 17 after the prefix
    'AKIA0000111188889999', // 0, 1, 8, 9 are not base32
    'XKIAYUHVAUVZHMASQXEZ', // no such prefix
  ],
});

describe('aws access key scoring', () => {
  it('scores long-term and STS keys above the rarer id prefixes', () => {
    const [akia] = awsAccessKeyDetector.detect('AKIAYUHVAUVZHMASQXEZ');
    const [aroa] = awsAccessKeyDetector.detect('AROAX3BZNFD24IS7DIK6');
    expect(akia?.score).toBeGreaterThan(aroa?.score ?? 1);
  });
});
