// Server-sent events decoding for upstream streams (WHATWG "event stream interpretation").
// Bytes may arrive split anywhere: inside a UTF-8 character (TextDecoder in stream mode
// keeps the partial bytes), between \r and \n (a trailing \r is remembered), inside a line.
// Lines end with \n, \r\n or \r; `:` lines are comments (OpenRouter's keep-alives); a blank
// line dispatches the event. Pure: wires use it inside their StreamDecoder.

export interface SseEvent {
  /** `event:` field; '' when absent (OpenAI chat streams send only data). */
  readonly event: string;
  readonly data: string;
}

const LF = 10;
const CR = 13;

export class SseDecoder {
  readonly #text = new TextDecoder('utf-8');
  /** Unterminated tail of the last chunk. */
  #partial = '';
  /** The previous chunk ended with \r: a \n starting the next one belongs to it. */
  #afterCr = false;
  #event = '';
  #data: string[] = [];

  /** Feeds bytes; returns the events completed by them. */
  push(bytes: Uint8Array): SseEvent[] {
    const text = this.#text.decode(bytes, { stream: true });
    const events: SseEvent[] = [];
    let start = 0;
    if (this.#afterCr && text.charCodeAt(0) === LF) start = 1;
    this.#afterCr = false;
    for (let i = start; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code !== LF && code !== CR) continue;
      const line = this.#partial === '' ? text.slice(start, i) : this.#partial + text.slice(start, i);
      this.#partial = '';
      this.#line(line, events);
      if (code === CR) {
        if (i + 1 === text.length) this.#afterCr = true;
        else if (text.charCodeAt(i + 1) === LF) i++;
      }
      start = i + 1;
    }
    if (start < text.length) this.#partial += text.slice(start);
    return events;
  }

  /** End of stream: a final event without its blank line is still delivered (lenient). */
  end(): SseEvent[] {
    const events: SseEvent[] = [];
    const rest = this.#partial + this.#text.decode();
    this.#partial = '';
    if (rest !== '') this.#line(rest, events);
    if (this.#data.length > 0) this.#line('', events);
    return events;
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
