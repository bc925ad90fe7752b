// The SSE decoder against real recorded streams, cut at every byte offset: inside UTF-8
// characters (Gemini's non-ASCII stream), between \r and \n (Gemini's CRLF framing), inside
// comment lines (OpenRouter's keep-alives) and `event:` fields (Anthropic).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SseDecoder, type SseEvent } from '../../../daemon/upstream/sse-decoder.js';

const FIXTURES = process.env.KAGAMI_FIXTURES ?? '/work/shared/fixtures';

const STREAMS = [
  'openai/wire/chat-stream-tool-roundtrip.1.sse',
  'openai/wire/chat-stream-tool-roundtrip.2.sse',
  'openai-compatible/wire/openrouter-stream-error.1.sse',
  'openai-compatible/wire/openrouter-stream-reasoning.1.sse',
  'gemini/wire/stream-generate-content-tool-roundtrip.3.sse',
  'gemini/wire/stream-generate-content-text.1.sse',
  'anthropic/wire/messages-stream-text.1.sse',
];

function decode(pieces: readonly Uint8Array[]): SseEvent[] {
  const decoder = new SseDecoder();
  const events: SseEvent[] = [];
  for (const piece of pieces) events.push(...decoder.push(piece));
  events.push(...decoder.end());
  return events;
}

/** What the stream holds, decoded independently of SseDecoder (split on blank lines). */
function expectedEvents(text: string): SseEvent[] {
  return text
    .replace(/\r\n/g, '\n')
    .split('\n\n')
    .map((block) => block.split('\n').filter((line) => line !== '' && !line.startsWith(':')))
    .filter((lines) => lines.some((line) => line.startsWith('data:')))
    .map((lines) => ({
      event: lines.find((line) => line.startsWith('event:'))?.slice(6).trim() ?? '',
      data: lines.filter((line) => line.startsWith('data:')).map((line) => line.slice(5).replace(/^ /, '')).join('\n'),
    }));
}

describe('SseDecoder', () => {
  for (const file of STREAMS) {
    const bytes = readFileSync(join(FIXTURES, file));
    const expected = expectedEvents(bytes.toString('utf8'));

    it(`decodes ${file} whole`, () => {
      expect(expected.length).toBeGreaterThan(1);
      expect(decode([bytes])).toEqual(expected);
    });

    it(`decodes ${file} split in two at every byte offset`, () => {
      for (let offset = 1; offset < bytes.length; offset++) {
        const events = decode([bytes.subarray(0, offset), bytes.subarray(offset)]);
        if (events.length !== expected.length || JSON.stringify(events) !== JSON.stringify(expected)) {
          expect(events, `split at ${offset}`).toEqual(expected);
        }
      }
    });

    it(`decodes ${file} fed one byte at a time`, () => {
      const pieces = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
      expect(decode(pieces)).toEqual(expected);
    });
  }

  it('handles lone CR line endings, multi-line data, comments and a final event without its blank line', () => {
    const text = ': hello\revent: delta\rdata: a\rdata: b\r\rdata: é日本\n\ndata: last';
    expect(decode([Buffer.from(text)])).toEqual([
      { event: 'delta', data: 'a\nb' },
      { event: '', data: 'é日本' },
      { event: '', data: 'last' },
    ]);
  });

  it('treats \\r at the end of one chunk and \\n at the start of the next as one line ending', () => {
    const events = decode([Buffer.from('data: one\r'), Buffer.from('\ndata: two\r'), Buffer.from('\n\r\n')]);
    expect(events).toEqual([{ event: '', data: 'one\ntwo' }]);
  });

  it('drops a byte order mark opening the stream, also when it arrives a byte at a time', () => {
    const bytes = Buffer.from('\uFEFFdata: x\n\ndata: \uFEFFy\n\n');
    const expected = [{ event: '', data: 'x' }, { event: '', data: '\uFEFFy' }];
    expect(decode([bytes])).toEqual(expected);
    expect(decode(Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1)))).toEqual(expected);
  });

  it('keeps a line cut inside a UTF-8 character whole, with no line end until the stream ends', () => {
    const bytes = Buffer.from('data: 日本語');
    expect(decode([bytes.subarray(0, 8), bytes.subarray(8, 10), bytes.subarray(10)])).toEqual([{ event: '', data: '日本語' }]);
  });
});
