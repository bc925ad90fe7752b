// The ONE list of synchronous PII detectors the engine runs on every text. Adding an entity
// type = one file exporting a Detector (see ../types.ts) + one line here + its name in
// shared/schemas/redaction.ts. Detectors run in this order; the engine resolves overlaps by
// score, so order does not decide which span wins.
//
// Japanese: cheap keyword/check-digit detectors in daemon/redaction/ja/ may register here too
// (one line each, owned by redaction-ja); the kuromoji analyzer (names, addresses) is not a
// Detector: it is the async JapaneseAnalyzer the engine calls only on Japanese-script text.
import type { Detector } from '../types.js';
import { apiKeyDetector } from './api-key.js';
import { awsAccessKeyDetector } from './aws-access-key.js';
import { creditCardDetector } from './credit-card.js';
import { emailDetector } from './email.js';
import { githubTokenDetector } from './github-token.js';
import { ibanDetector } from './iban.js';
import { ipAddressDetector } from './ip-address.js';
import { jwtDetector } from './jwt.js';
import { phoneDetector } from './phone.js';
import { privateKeyDetector } from './private-key.js';
import { secretDetector } from './secret.js';
import { urlCredentialsDetector } from './url-credentials.js';
import { usSsnDetector } from './us-ssn.js';
import { bankAccountDetector } from '../ja/bank-account.js';
import { corporateNumberDetector } from '../ja/corporate-number.js';
import { driversLicenseDetector } from '../ja/drivers-license.js';
import { myNumberDetector } from '../ja/my-number.js';
import { passportDetector } from '../ja/passport.js';
import { japanesePhoneDetector } from '../ja/phone.js';
import { postalCodeDetector } from '../ja/postal-code.js';

export const detectors: readonly Detector[] = [
  emailDetector,
  phoneDetector,
  creditCardDetector,
  usSsnDetector,
  ibanDetector,
  ipAddressDetector,
  urlCredentialsDetector,
  awsAccessKeyDetector,
  apiKeyDetector,
  githubTokenDetector,
  jwtDetector,
  privateKeyDetector,
  secretDetector,
  // ---- Japanese synchronous detectors (daemon/redaction/ja/): one line each ----
  myNumberDetector,
  corporateNumberDetector,
  japanesePhoneDetector,
  postalCodeDetector,
  bankAccountDetector,
  passportDetector,
  driversLicenseDetector,
];
