// IBAN: country code + 2 check digits + BBAN, written solid or in groups of four, upper or
// lower case. Valid only with the registry length for its country and an ISO 7064 mod-97
// remainder of 1: a random string passes with odds of about 1 in 97 × wrong-length.
import { passesIbanMod97 } from '../checksums.js';
import type { Detector, Span } from '../types.js';

/** IBAN lengths by country (SWIFT IBAN registry, incl. partner territories). */
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28,
  CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18,
  FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22,
  IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20,
  LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28, NL: 18,
  NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24, SC: 31,
  SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29,
  VA: 22, VG: 24, XK: 20, YE: 30,
  // Territories using the French, British or other parent system.
  GF: 27, GP: 27, MQ: 27, RE: 27, PF: 27, TF: 27, YT: 27, NC: 27, BL: 27, MF: 27, PM: 27, WF: 27,
  JE: 22, GG: 22, IM: 22, AX: 18,
};

// Two letters, two digits, then up to 40 alphanumerics, each optionally after one space or dash.
// One character per repetition keeps the pattern free of backtracking blow-ups; the country
// length then decides where the IBAN ends (a following word may have been absorbed).
const CANDIDATE = /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ -]?[A-Za-z0-9]){11,40}/g;

/** The longest valid IBAN that is a prefix of the candidate (a following word may have been absorbed). */
function longestValidPrefix(raw: string): number {
  // The country decides the length; most candidates ("ID12…", "ab12…") stop here.
  const length = IBAN_LENGTHS[raw.slice(0, 2).toUpperCase()];
  if (length === undefined) return 0;
  // Where the length-th character (separators not counted) ends in the written form.
  let counted = 0;
  let end = 0;
  while (end < raw.length && counted < length) {
    const code = raw.charCodeAt(end++);
    if (code !== 0x20 && code !== 0x2d) counted++;
  }
  if (counted < length) return 0;
  const written = raw.slice(0, end);
  // Written in one case (GB82WEST…, gb82west…): "LV80 bANK…" is a lookalike.
  const letters = written.replace(/[^A-Za-z]/g, '').slice(2);
  if (letters !== letters.toUpperCase() && letters !== letters.toLowerCase()) return 0;
  const candidate = written.replace(/[ -]/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(candidate) || !passesIbanMod97(candidate)) return 0;
  // Reject a cut in the middle of a group ("…1234 5678" where only "56" belongs).
  const next = raw[end];
  if (next !== undefined && next !== ' ' && next !== '-') return 0;
  return end;
}

export const ibanDetector: Detector = {
  id: 'iban',
  entityTypes: ['IBAN'],
  detect(text) {
    const spans: Span[] = [];
    // detect() is synchronous, so sharing the module's regex (and its lastIndex) is safe.
    const pattern = CANDIDATE;
    pattern.lastIndex = 0;
    let match: RegExpExecArray | null;
    while ((match = pattern.exec(text)) !== null) {
      const length = longestValidPrefix(match[0]);
      if (length === 0) {
        // An IBAN may start inside a failed candidate ("ab12 GB82 WEST…"): retry from the next word.
        pattern.lastIndex = match.index + 1;
        continue;
      }
      spans.push({ type: 'IBAN', start: match.index, end: match.index + length, score: 1, detector: 'iban' });
      pattern.lastIndex = match.index + length;
    }
    return spans;
  },
};
