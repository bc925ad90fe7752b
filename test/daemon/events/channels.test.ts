// The request event channels: `end` reaches its subscribers after the event-loop turn that
// published it (its answers are written first), in order, all of the turn's events together.
import diagnostics from 'node:diagnostics_channel';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS, createRequestEvents } from '../../../daemon/events/channels.js';
import type { RequestEvent } from '../../../shared/schemas/events.js';

const seen: unknown[] = [];
const onEnd = (message: unknown): void => {
  seen.push(message);
};

afterEach(() => {
  diagnostics.unsubscribe(CHANNELS.end, onEnd);
  seen.length = 0;
});

function ended(traceId: string): RequestEvent {
  return { trace_id: traceId } as unknown as RequestEvent;
}

describe('createRequestEvents', () => {
  it('publishes request:end once the current turn is over, every event of the turn in order', async () => {
    diagnostics.subscribe(CHANNELS.end, onEnd);
    const events = createRequestEvents();
    events.publishEnd(ended('a'));
    events.publishEnd(ended('b'));
    expect(seen).toEqual([]);
    await nextTurn();
    expect(seen).toEqual([ended('a'), ended('b')]);
    events.publishEnd(ended('c'));
    await nextTurn();
    expect(seen).toEqual([ended('a'), ended('b'), ended('c')]);
  });

  it('keeps nothing for later when nobody subscribes', async () => {
    const events = createRequestEvents();
    events.publishEnd(ended('lost'));
    diagnostics.subscribe(CHANNELS.end, onEnd);
    await nextTurn();
    expect(seen).toEqual([]);
  });
});
