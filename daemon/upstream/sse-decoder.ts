// Server-sent events decoding for upstream streams (WHATWG "event stream interpretation").
// Bytes may arrive split anywhere: inside a UTF-8 character, between \r and \n (a trailing \r
// is remembered), inside a line. Lines end with \n, \r\n or \r; `:` lines are comments
// (OpenRouter's keep-alives); a blank line dispatches the event. Pure: wires use it inside
// their StreamDecoder.
//
// Only whole lines are decoded: a line-end byte (\n, \r) never occurs inside a multi-byte UTF-8
// character, so the bytes up to the last one are whole characters and are decoded in one plain
// utf8 read; the bytes after it wait for the next push. (A streaming TextDecoder does the same
// job ~5x slower per read in Node 20, and this runs for every read of every upstream stream.)

export interface SseEvent {
  /** `event:` field; '' when absent (OpenAI chat streams send only data). */
  readonly event: string;
  readonly data: string;
}

const LF = 10;
const CR = 13;
const BOM = 0xfeff;

export class SseDecoder {
  /** Bytes after the last line end seen: an unfinished line (copied, small). */
  #pending: Buffer | null = null;
  /** The previous chunk ended with \r: a \n starting the next one belongs to it. */
  #afterCr = false;
  /** A byte order mark may open the stream (stripped, as TextDecoder would). */
  #atStart = true;
  #event = '';
  #data: string[] = [];

  /** Feeds bytes; returns the events completed by them. */
  push(bytes: Uint8Array): SseEvent[] {
    let buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (this.#pending !== null) {
      buffer = Buffer.concat([this.#pending, buffer]);
      this.#pending = null;
    }
    let end = buffer.length;
    while (end > 0 && buffer[end - 1] !== LF && buffer[end - 1] !== CR) end--;
    if (end < buffer.length) this.#pending = Buffer.from(buffer.subarray(end));
    const events: SseEvent[] = [];
    if (end > 0) this.#lines(this.#text(buffer, end), events);
    return events;
  }

  /** End of stream: a final event without its blank line is still delivered (lenient). */
  end(): SseEvent[] {
    const events: SseEvent[] = [];
    const rest = this.#pending === null ? '' : this.#text(this.#pending, this.#pending.length);
    this.#pending = null;
    if (rest !== '') this.#line(rest, events); // pending bytes hold no line end
    if (this.#data.length > 0) this.#line('', events);
    return events;
  }

  #text(buffer: Buffer, end: number): string {
    const text = buffer.toString('utf8', 0, end);
    if (!this.#atStart || text === '') return text;
    this.#atStart = false;
    return text.charCodeAt(0) === BOM ? text.slice(1) : text;
  }

  /** Text that ends with a line end: every line in it is complete. */
  #lines(text: string, events: SseEvent[]): void {
    let start = 0;
    if (this.#afterCr && text.charCodeAt(0) === LF) start = 1;
    this.#afterCr = false;
    if (!text.includes('\r')) {
      // \n-only framing (OpenAI and most upstreams): let indexOf find the line ends.
      for (let end = text.indexOf('\n', start); end !== -1; end = text.indexOf('\n', start)) {
        this.#line(text.slice(start, end), events);
        start = end + 1;
      }
      return;
    }
    for (let i = start; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code !== LF && code !== CR) continue;
      this.#line(text.slice(start, i), events);
      if (code === CR) {
        if (i + 1 === text.length) this.#afterCr = true;
        else if (text.charCodeAt(i + 1) === LF) i++;
      }
      start = i + 1;
    }
  }

  #line(line: string, events: SseEvent[]): void {
    if (line === '') {
      if (this.#data.length > 0) {
        events.push({ event: this.#event, data: this.#data.length === 1 ? (this.#data[0] as string) : this.#data.join('\n') });
        this.#data = [];
      }
      this.#event = '';
      return;
    }
    if (line.charCodeAt(0) === 58 /* ':' */) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32 /* ' ' */) value = value.slice(1);
    if (field === 'data') this.#data.push(value);
    else if (field === 'event') this.#event = value;
    // id / retry are irrelevant for a proxied upstream stream.
  }
}
