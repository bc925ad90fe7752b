// Incremental server-sent-events parser (WHATWG "event stream interpretation") for upstream
// streams. Bytes may arrive split anywhere: inside a UTF-8 character, between \r and \n of a
// CRLF (Gemini frames events with \r\n\r\n), or mid-line. Pure: no I/O, one instance per stream.

export interface SseEvent {
  /** The `event:` field, or 'message' when the event had none. */
  readonly event: string;
  /** The `data:` lines joined with \n. */
  readonly data: string;
}

export class SseDecoder {
  private readonly text = new TextDecoder('utf-8', { fatal: false });
  private buffer = '';
  /** A chunk ended with \r: a following \n belongs to the same line break. */
  private pendingCr = false;
  private eventName = '';
  private dataLines: string[] = [];

  push(bytes: Uint8Array): SseEvent[] {
    return this.feed(this.text.decode(bytes, { stream: true }));
  }

  end(): SseEvent[] {
    const events = this.feed(this.text.decode());
    // A last line without its line break still counts; a last event without a blank line
    // after it is dispatched too (upstreams that close right after the final data line).
    if (this.buffer.length > 0) {
      this.takeLine(this.buffer);
      this.buffer = '';
    }
    this.dispatch(events);
    return events;
  }

  private feed(chunk: string): SseEvent[] {
    const events: SseEvent[] = [];
    let text = chunk;
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
    let start = 0;
    const all = this.buffer + text;
    const offset = this.buffer.length;
    this.buffer = '';
    for (let i = offset; i < all.length; i++) {
      const ch = all.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;
      const line = all.slice(start, i);
      if (ch === 13) {
        if (i + 1 === all.length) this.pendingCr = true;
        else if (all.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
      if (line.length === 0) this.dispatch(events);
      else this.takeLine(line);
    }
    this.buffer = all.slice(start);
    return events;
  }

  private takeLine(line: string): void {
    if (line.startsWith(':')) return; // comment (": OPENROUTER PROCESSING", keep-alives)
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.eventName = value;
    else if (field === 'data') this.dataLines.push(value);
  }

  private dispatch(into: SseEvent[]): void {
    if (this.dataLines.length > 0) {
      into.push({ event: this.eventName === '' ? 'message' : this.eventName, data: this.dataLines.join('\n') });
    }
    this.eventName = '';
    this.dataLines = [];
  }
}
