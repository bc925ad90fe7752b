// The detectors' first run in a process is slow: V8 compiles each regex on its first use, and
// libphonenumber builds a country's patterns the first time it sees one of its numbers (0.2–4 ms
// per country). Run once when the first engine is built (daemon start), this moves that cost off
// the first requests. Every value below is a documentation or test value, never a real one.
import type { Detector } from './types.js';

/** Exported for its test: every English detector must find something in it. */
export const WARM_UP_SAMPLE = [
  'Contact jane.doe@example.com or call (415) 555-0132, 020 7946 0958 or 030 1234567 ext 12.',
  'International: +1 415 555 2671, +44 20 7946 0958, +44 7700 900123, +49 30 901820, +33 1 42 68 53 00,',
  '+41 44 668 18 00, +46 8 123 456 78, +39 06 6988 3711, +34 912 345 678, +31 20 123 4567, +81 3-1234-5678,',
  '+61 2 9876 5432, +91 22 1234 5678, +86 10 1234 5678, +7 495 123 45 67, +55 11 91234 5678, +52 55 1234 5678,',
  '+353 1 234 5678, +45 32 12 34 56, +47 22 12 34 56, +358 9 123 4567, +48 22 123 45 67, +43 1 234567,',
  '+32 2 123 45 67, +351 21 123 4567, +65 6123 4567, +852 2123 4567, +82 2 1234 5678, 0044 20 7946 0958.',
  'Card 4111 1111 1111 1111, SSN 536-22-8412, IBAN GB82 WEST 1234 5698 7654 32, host 192.0.2.1 and 2001:db8::1.',
  'postgres://app:s3cret-Pa55@db.example.com:5432/x with password=Hunter2.Two and token: 9f8e7d6c5b4a39281706.',
  'Keys: AKIAIOSFODNN7EXAMPLE sk-proj-abcdefghijklmnopqrstuvwxyz012345 ghp_abcdefghijklmnopqrstuvwxyz0123456789.',
  'JWT eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
  '-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEA\n-----END PRIVATE KEY-----',
  'My number 1234 5678 9018, corporate number T1234567890123, 〒100-0001, 電話 03-1234-5678.',
].join('\n');

/** Enough runs for V8 to optimise the detectors, not only compile their regexes. */
const PASSES = 20;
let warmed = false;

/** Runs every detector over WARM_UP_SAMPLE, the first time it is called in the process; later calls return at once. */
export function warmUpDetectors(detectors: readonly Detector[]): void {
  if (warmed) return;
  warmed = true;
  for (let pass = 0; pass < PASSES; pass++) for (const detector of detectors) detector.detect(WARM_UP_SAMPLE);
}
