// JWT: three base64url parts (header.payload.signature) whose header decodes to a JSON object
// naming an `alg`, and whose payload decodes to a JSON object. The decode is what separates a
// token from any dotted base64-looking string.
import type { Detector, Span } from '../types.js';

// Headers and payloads are JSON objects, so their base64url starts with "eyJ" ('{"').
const CANDIDATE = /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*(?![A-Za-z0-9_-]|\.[A-Za-z0-9_-])/g;

function decodeJsonObject(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export const jwtDetector: Detector = {
  id: 'jwt',
  entityTypes: ['JWT'],
  detect(text) {
    const spans: Span[] = [];
    if (!text.includes('eyJ')) return spans;
    for (const match of text.matchAll(CANDIDATE)) {
      const [header = '', payload = ''] = match[0].split('.');
      const decodedHeader = decodeJsonObject(header);
      if (decodedHeader === null || typeof decodedHeader.alg !== 'string' || decodeJsonObject(payload) === null) continue;
      const start = match.index;
      spans.push({ type: 'JWT', start, end: start + match[0].length, score: 0.95, detector: 'jwt' });
    }
    return spans;
  },
};
