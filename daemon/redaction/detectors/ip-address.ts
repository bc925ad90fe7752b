// IP_ADDRESS: dotted-quad IPv4 with every octet 0–255 and no leading zeros, and IPv6 in any
// RFC 4291/5952 form (compressed, mixed with IPv4, zone id) checked by node:net's parser.
// Addresses that identify no one (unspecified, loopback) score below the default threshold.
import { isIPv6 } from 'node:net';
import { compileContext, scoreWithContext } from '../context-words.js';
import type { Detector, Span } from '../types.js';

const IPV4 = /(?<![\w.])(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(?![\w]|\.\d)/g;
// Hex groups and colons (at least two colons), optionally ending in a dotted quad; refined by isIPv6.
const IPV6 = /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?:%[\w.]+)?(?![\w:])/g;

const CONTEXT = compileContext({
  positive: ['ip', 'ipv4', 'ipv6', 'address', 'host', 'server', 'client'],
  negative: ['version', 'v', 'release', 'build'],
  boost: 0.1,
  penalty: 0.4,
});

const NON_IDENTIFYING = new Set(['0.0.0.0', '127.0.0.1', '255.255.255.255', '::', '::1']);

export const ipAddressDetector: Detector = {
  id: 'ip-address',
  entityTypes: ['IP_ADDRESS'],
  detect(text) {
    const spans: Span[] = [];
    if (text.includes('.')) {
      for (const match of text.matchAll(IPV4)) {
        const start = match.index;
        const end = start + match[0].length;
        const base = NON_IDENTIFYING.has(match[0]) ? 0.3 : 0.8;
        spans.push({ type: 'IP_ADDRESS', start, end, score: scoreWithContext(text, start, end, base, CONTEXT), detector: 'ip-address' });
      }
    }
    if (text.includes(':')) {
      for (const match of text.matchAll(IPV6)) {
        const raw = match[0];
        const address = raw.split('%')[0] ?? '';
        // "::" alone, times like "10:30:00" and MAC-like runs are not addresses worth a span.
        if (!/\d/.test(address) || !isIPv6(address)) continue;
        if (/^\d{1,2}:\d{2}(?::\d{2})?$/.test(address)) continue;
        const start = match.index;
        const end = start + raw.length;
        const base = NON_IDENTIFYING.has(address) ? 0.3 : 0.85;
        spans.push({ type: 'IP_ADDRESS', start, end, score: scoreWithContext(text, start, end, base, CONTEXT), detector: 'ip-address' });
      }
    }
    return spans;
  },
};
