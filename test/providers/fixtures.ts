// Reads the recorded provider traffic in /work/shared/fixtures (see its README) and, for the
// decoded `chunks/` files, frames each event the way the provider does on the wire, so the
// replay servers serve real payloads in real framing. Also: split points for byte streams.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import type { ReplayResponse } from '../support/replay-upstream.js';

export const FIXTURES = process.env['KAGAMI_FIXTURES'] ?? '/work/shared/fixtures';

export interface RecordedExchange {
  request: { method: string; url: string; headers: Record<string, string>; body: Record<string, unknown> };
  response: { status: number; headers: Record<string, string>; body?: unknown; bodyFile?: string };
}

export function loadExchanges(provider: string, name: string): RecordedExchange[] {
  const file = join(FIXTURES, provider, 'wire', `${name}.json`);
  return (JSON.parse(readFileSync(file, 'utf8')) as { interactions: RecordedExchange[] }).interactions;
}

export function exchange(provider: string, name: string, index = 0): RecordedExchange {
  const found = loadExchanges(provider, name)[index];
  if (found === undefined) throw new Error(`no interaction ${index} in ${provider}/${name}`);
  return found;
}

/** The exact bytes of a recorded response body (byte-exact file, or the JSON re-serialized). */
export function responseBytes(provider: string, recorded: RecordedExchange): Buffer {
  if (recorded.response.bodyFile !== undefined) {
    return readFileSync(join(FIXTURES, provider, 'wire', recorded.response.bodyFile));
  }
  return Buffer.from(JSON.stringify(recorded.response.body));
}

/** A recorded response as the replay upstream serves it (optionally written in pieces of these sizes). */
export function recordedReplay(provider: string, name: string, index = 0, pieces?: readonly number[]): ReplayResponse {
  const recorded = exchange(provider, name, index);
  return { status: recorded.response.status, headers: recorded.response.headers, body: responseBytes(provider, recorded), ...(pieces ? { pieces } : {}) };
}

export interface NamedSseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Server-sent events with `event:` names (Anthropic and Responses framing), parsed. */
export function parseNamedEvents(text: string): NamedSseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((line) => line.startsWith('event: '))?.slice('event: '.length) ?? '';
      const data = lines.find((line) => line.startsWith('data: '))?.slice('data: '.length) ?? '{}';
      return { event, data: JSON.parse(data) as Record<string, unknown> };
    });
}

export function chunkLines(provider: string, name: string): string[] {
  return readFileSync(join(FIXTURES, provider, 'chunks', name), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');
}

export function chunkJson(provider: string, name: string): string {
  return readFileSync(join(FIXTURES, provider, 'chunks', name), 'utf8');
}

/** Anthropic framing: `event: <type>\ndata: <json>\n\n`. */
export function frameAnthropic(lines: string[]): Buffer {
  return Buffer.from(
    lines.map((line) => `event: ${(JSON.parse(line) as { type: string }).type}\ndata: ${line}\n\n`).join(''),
  );
}

/** Gemini framing (`alt=sse`): `data: <json>\r\n\r\n`. */
export function frameGemini(lines: string[]): Buffer {
  return Buffer.from(lines.map((line) => `data: ${line}\r\n\r\n`).join(''));
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** Bedrock framing: each `{"<eventType>": {...}}` line as one AWS event-stream message. */
export function frameBedrock(lines: string[]): Buffer {
  const frames = lines.map((line) => {
    const wrapped = JSON.parse(line) as Record<string, unknown>;
    const [type, payload] = Object.entries(wrapped)[0] as [string, unknown];
    return codec.encode({
      headers: {
        ':event-type': { type: 'string', value: type },
        ':content-type': { type: 'string', value: 'application/json' },
        ':message-type': { type: 'string', value: 'event' },
      },
      body: fromUtf8(JSON.stringify(payload)),
    });
  });
  return Buffer.concat(frames.map((frame) => Buffer.from(frame)));
}

/**
 * Ways to cut a byte stream: whole, every single byte, and at the awkward offsets the README
 * names: inside each multi-byte UTF-8 character, between each \r and \n, and inside the
 * 12-byte prelude / headers of every AWS event-stream frame.
 */
export function splits(bytes: Buffer, awsFrames = false): { name: string; parts: Buffer[] }[] {
  const cuts = new Set<number>();
  for (let i = 1; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    if ((byte & 0xc0) === 0x80) cuts.add(i); // continuation byte: cut inside a UTF-8 character
    if (bytes[i - 1] === 13 && byte === 10) cuts.add(i); // between \r and \n
  }
  if (awsFrames) {
    for (let offset = 0; offset + 12 <= bytes.length; ) {
      const length = bytes.readUInt32BE(offset);
      for (const inside of [2, 5, 9, 13, 17]) if (offset + inside < bytes.length) cuts.add(offset + inside);
      if (length <= 0) break;
      offset += length;
    }
  }
  const at = (points: number[]): Buffer[] => {
    const parts: Buffer[] = [];
    let last = 0;
    for (const point of points.sort((a, b) => a - b)) {
      if (point > last && point < bytes.length) {
        parts.push(bytes.subarray(last, point));
        last = point;
      }
    }
    parts.push(bytes.subarray(last));
    return parts;
  };
  const everyByte = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
  return [
    { name: 'whole', parts: [bytes] },
    { name: 'awkward offsets', parts: at([...cuts]) },
    { name: 'every byte', parts: everyByte },
  ];
}
