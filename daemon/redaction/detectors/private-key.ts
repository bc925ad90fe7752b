// PRIVATE_KEY: PEM (and OpenSSH / PGP armour) private key blocks, from BEGIN to END. A block
// pasted without its END line is still covered up to the end of its base64 body.
import type { Detector, Span } from '../types.js';

const BEGIN = /-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----/g;
// The body: base64 lines, and header lines ("Proc-Type: 4,ENCRYPTED") of an encrypted PEM.
const BODY = /(?:[ \t]*(?:[A-Za-z0-9+/=]+|[A-Za-z-]+:[^\r\n]*)?(?:\r?\n|\\n))*/y;

export const privateKeyDetector: Detector = {
  id: 'private-key',
  entityTypes: ['PRIVATE_KEY'],
  detect(text) {
    const spans: Span[] = [];
    if (!text.includes('-----BEGIN ')) return spans;
    for (const match of text.matchAll(BEGIN)) {
      const start = match.index;
      const label = match[1] ?? '';
      const endMarker = `-----END ${label}-----`;
      const endAt = text.indexOf(endMarker, start);
      let end: number;
      if (endAt !== -1) {
        end = endAt + endMarker.length;
      } else {
        BODY.lastIndex = start + match[0].length;
        BODY.exec(text);
        end = BODY.lastIndex > start + match[0].length ? BODY.lastIndex : text.length;
        // Trim the trailing newline the body pattern consumed.
        while (end > start && /\s/.test(text[end - 1] ?? '')) end--;
      }
      spans.push({ type: 'PRIVATE_KEY', start, end, score: 1, detector: 'private-key' });
    }
    return spans;
  },
};
