// IP_ADDRESS: dotted-quad IPv4 with every octet 0–255 and no leading zeros, and IPv6 in any
// RFC 4291/5952 form (compressed, mixed with IPv4, zone id) checked by node:net's parser.
// A CIDR prefix length is part of the span (10.0.0.0/8). The unspecified address "::" alone
// says nothing and scores below the default threshold.
import { isIPv6 } from 'node:net';
import { compileContext, scoreWithContext } from '../context-words.js';
import { numberMatches } from '../number-runs.js';
import type { Detector, Span } from '../types.js';

const IPV4 = /(?<![\w.])(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(?:\/(?:3[0-2]|[12]?\d))?(?![\w]|\.\d)/g;
// Hex groups and colons (at least two colons), optionally ending in a dotted quad; refined by isIPv6.
const IPV6 = /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?:%[\w.]+)?(?:\/(?:12[0-8]|1[01]\d|[1-9]?\d))?(?![\w:]|\.\d)/g;

const CONTEXT = compileContext({
  positive: ['ip', 'ipv4', 'ipv6', 'address', 'host', 'server', 'client'],
  negative: ['version', 'release', 'build'],
  boost: 0.1,
  penalty: 0.4,
});

const UNSPECIFIED = /^::(?:\/\d+)?$/;
// Every IPv6 candidate has a colon followed by a hex digit or a second colon. Prose colons
// ("Phone: …", "Note:") are followed by a space, so most texts skip the IPV6 scan, which
// otherwise tries a match at every character.
const IPV6_GATE = /:[0-9A-Fa-f:]/;

export const ipAddressDetector: Detector = {
  id: 'ip-address',
  entityTypes: ['IP_ADDRESS'],
  detect(text) {
    const spans: Span[] = [];
    if (IPV6_GATE.test(text)) {
      for (const match of text.matchAll(IPV6)) {
        const raw = match[0];
        const address = raw.split(/[%/]/)[0] ?? '';
        // C++ scopes ("Foo::Bar"), times and MAC addresses fail the parse or have no digit.
        if (!/\d/.test(address) || !isIPv6(address)) continue;
        const start = match.index;
        const end = start + raw.length;
        const base = UNSPECIFIED.test(raw) ? 0.1 : 0.85;
        spans.push({ type: 'IP_ADDRESS', start, end, score: scoreWithContext(text, start, end, base, CONTEXT), detector: 'ip-address' });
      }
    }
    if (text.includes('.')) {
      const ipv6 = spans.length;
      let next = 0; // IPv6 spans are in text order, and so are IPv4 matches: one pass over both
      for (const match of numberMatches(text, IPV4, 4)) {
        const start = match.index;
        const end = start + match[0].length;
        while (next < ipv6 && (spans[next] as Span).end < end) next++;
        // The dotted tail of an IPv6 address (::ffff:192.0.2.1) is part of that address.
        const around = spans[next];
        if (next < ipv6 && around !== undefined && around.start <= start && end <= around.end) continue;
        spans.push({ type: 'IP_ADDRESS', start, end, score: scoreWithContext(text, start, end, 0.8, CONTEXT), detector: 'ip-address' });
      }
    }
    return spans;
  },
};
