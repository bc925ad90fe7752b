// Request bodies are JSON and nothing else: fastify's text/plain parser is removed (a
// cross-site form could otherwise post to us), other media types get 415, bytes must be
// valid UTF-8 (fatal decoder) and nesting is limited before JSON.parse ever runs. Compressed
// bodies (Content-Encoding) are refused with 415 before they are read: we do not inflate
// them (a zip bomb would dodge the body limit), and reading gzip bytes as UTF-8 says nothing useful.
import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../shared/errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Deepest {}/[] nesting in JSON bytes, stopping early once past `limit`. Strings are skipped. */
export function jsonDepthExceeds(bytes: Buffer, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte === QUOTE) {
      // Jump to the closing quote (Buffer#indexOf is native: a 1 KB prompt is mostly one string).
      const end = closingQuote(bytes, i + 1);
      if (end === -1) return false; // unterminated: JSON.parse reports it
      i = end;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** Index of the first quote from `from` that an odd run of backslashes does not escape, or -1. */
function closingQuote(bytes: Buffer, from: number): number {
  for (let end = bytes.indexOf(QUOTE, from); end !== -1; end = bytes.indexOf(QUOTE, end + 1)) {
    let backslashes = 0;
    while (bytes[end - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end;
  }
  return -1;
}

export interface JsonBodyLimits {
  readonly bodyBytes: number;
  readonly jsonDepth: number;
}

export function registerJsonBody(app: FastifyInstance, limits: JsonBodyLimits): void {
  // Callback style, not async: runs on every request, and an async hook costs a promise each time.
  app.addHook('preParsing', (request, _reply, payload, done) => {
    const encoding = request.headers['content-encoding']?.trim().toLowerCase();
    if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
      done(new GatewayError('unsupported_media_type', `Content-Encoding "${encoding}" is not supported: send the request body uncompressed.`));
      return;
    }
    done(null, payload);
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: limits.bodyBytes }, (_request, body, done) => {
    const bytes = body as Buffer;
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      done(new GatewayError('invalid_json', 'The request body is not valid UTF-8.'), undefined);
      return;
    }
    if (jsonDepthExceeds(bytes, limits.jsonDepth)) {
      done(new GatewayError('invalid_json', `The request body nests JSON deeper than ${limits.jsonDepth} levels.`), undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      const detail = error instanceof Error ? error.message : 'parse error';
      done(new GatewayError('invalid_json', `We could not parse the JSON body of your request. (${detail})`), undefined);
    }
  });
}
