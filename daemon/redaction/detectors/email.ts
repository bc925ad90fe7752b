// EMAIL: found from each "@" outwards (no regex runs over text without one), then checked
// against the address grammar that matters in practice: a dot-atom local part, a domain of
// valid labels and a real-looking TLD (letters, or an IDN "xn--" label).
import type { Detector, Span } from '../types.js';

const LOCAL_CHAR = /[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]/;
const DOMAIN_CHAR = /[A-Za-z0-9.-]/;
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const TOP_LEVEL = /^(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{2,59})$/;

/** ASCII membership tables built once from the classes above: the walk outwards from "@" tests a code, not a one-character string. */
function asciiTable(pattern: RegExp): Uint8Array {
  const table = new Uint8Array(128);
  for (let code = 0; code < 128; code++) table[code] = pattern.test(String.fromCharCode(code)) ? 1 : 0;
  return table;
}
const LOCAL_CHARS = asciiTable(LOCAL_CHAR);
const DOMAIN_CHARS = asciiTable(DOMAIN_CHAR);

function isLocalChar(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  return code < 0x80 && LOCAL_CHARS[code] === 1;
}

function isDomainChar(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  return code < 0x80 && DOMAIN_CHARS[code] === 1;
}

/** True when the token holding `index` started as "scheme://". */
function isUrlUserinfo(text: string, index: number): boolean {
  let tokenStart = index;
  while (tokenStart > 0 && !/\s/.test(text[tokenStart - 1] ?? ' ')) tokenStart--;
  return text.slice(tokenStart, index).includes('://');
}

function validDomain(domain: string): boolean {
  if (domain.length > 253) return false;
  const labels = domain.split('.');
  if (labels.length < 2) return false;
  for (const label of labels) if (!DOMAIN_LABEL.test(label)) return false;
  return TOP_LEVEL.test(labels[labels.length - 1] ?? '');
}

export const emailDetector: Detector = {
  id: 'email',
  entityTypes: ['EMAIL'],
  detect(text) {
    const spans: Span[] = [];
    let at = text.indexOf('@');
    while (at !== -1) {
      let start = at;
      while (start > 0 && isLocalChar(text, start - 1)) start--;
      // Sentence punctuation and quotes are never part of the address.
      while (start < at && /[.'`{|}~=/]/.test(text[start] ?? '')) start++;
      let end = at + 1;
      while (end < text.length && isDomainChar(text, end)) end++;
      while (end > at + 1 && /[.-]/.test(text[end - 1] ?? '')) end--;
      const local = text.slice(start, at);
      // "scheme://user:password@host" is a URL's userinfo (URL_CREDENTIALS), not an address.
      if (text[start - 1] === ':' && isUrlUserinfo(text, start)) {
        at = text.indexOf('@', at + 1);
        continue;
      }
      const domain = text.slice(at + 1, end);
      if (local.length > 0 && local.length <= 64 && LOCAL_PART.test(local) && validDomain(domain)) {
        spans.push({ type: 'EMAIL', start, end, score: 1, detector: 'email' });
        at = text.indexOf('@', end);
      } else {
        at = text.indexOf('@', at + 1);
      }
    }
    return spans;
  },
};
