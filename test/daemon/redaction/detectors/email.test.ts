// EMAIL: from each "@" outwards, a dot-atom local part and a domain of valid labels with a
// real-looking TLD (letters or an IDN xn-- label).
import { emailDetector } from '../../../../daemon/redaction/detectors/email.js';
import { describeDetector } from './detector-suite.js';

describeDetector(emailDetector, {
  valid: [
    'Contact me at ⟦john.smith@example.com⟧ for details.',
    'Reply-To: "Ops" <⟦dev+alerts@corp.acme.io⟧>',
    "⟦o'brien@example.ie⟧ wrote:",
    'mail ⟦lee_w@mail.example.co.uk⟧, thanks',
    'IDN ⟦info@xn--80ak6aa92e.com⟧',
    '連絡先は⟦taro@example.jp⟧です',
    'write to mailto:⟦someone@example.com⟧',
    '(⟦First.Last.2024@Uni-Hamburg.DE⟧)',
  ],
  nearMiss: [
    'john@localhost',
    'name@domain',
    'follow @handle on social',
    'foo@bar.',
    'john..doe@example.com',
    'user@-example.com',
    'a@b.c',
    'postgres://app:s3cret@db.example.com/main', // URL userinfo, not an address
    'npm i @types/node@20.11.0',
  ],
});
