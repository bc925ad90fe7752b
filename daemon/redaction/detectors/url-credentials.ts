// URL_CREDENTIALS: the `user:password@` part of a URL (postgres://app:s3cret@db:5432/x,
// https://user:token@github.com/…). Only the userinfo is the span, so the masked URL still
// tells the reader which host it pointed at: postgres://[URL_CREDENTIALS]@db:5432/x.
import type { Detector, Span } from '../types.js';

// scheme://user:password@ — the password may be empty only when a user is present (user:@host
// is not a credential), and "@" must be followed by a host character.
const USERINFO = /\b[A-Za-z][A-Za-z0-9+.-]{1,20}:\/\/([^\s/?#@:'"<>]+:[^\s/?#@'"<>]+)@(?=[A-Za-z0-9[])/g;
// Templates are not credentials: ${USER}:${PASS}, <user>:<password>, {{user}}.
const PLACEHOLDER = /^[$<{%[]|[>}]$|^(?:user(?:name)?|usr|login):(?:pass(?:word)?|pwd|secret|\*+|x+)$/i;

export const urlCredentialsDetector: Detector = {
  id: 'url-credentials',
  entityTypes: ['URL_CREDENTIALS'],
  detect(text) {
    const spans: Span[] = [];
    if (!text.includes('://')) return spans;
    for (const match of text.matchAll(USERINFO)) {
      const userinfo = match[1] ?? '';
      if (PLACEHOLDER.test(userinfo)) continue;
      const start = match.index + match[0].length - userinfo.length - 1;
      spans.push({ type: 'URL_CREDENTIALS', start, end: start + userinfo.length, score: 0.95, detector: 'url-credentials' });
    }
    return spans;
  },
};
