// The daemon's request events, published on node:diagnostics_channel (as undici does):
// kagami:request:start|route|redact|end. Anyone in the process subscribes by channel name
// (metrics, tracing, the admin SSE route); publishing costs nothing when nobody listens.
import diagnostics from 'node:diagnostics_channel';
import type { RequestEvent, RequestRouteEvent, RequestStartEvent } from '../../shared/schemas/events.js';

export const CHANNELS = {
  start: 'kagami:request:start',
  route: 'kagami:request:route',
  redact: 'kagami:request:redact',
  end: 'kagami:request:end',
} as const;

/** Payload of `kagami:request:redact`: counts per `TYPE:action`. */
export interface RequestRedactEvent {
  readonly trace_id: string;
  readonly direction: 'request' | 'response';
  readonly counts: Readonly<Record<string, number>>;
}

export interface RequestEvents {
  readonly start: diagnostics.Channel;
  readonly route: diagnostics.Channel;
  readonly redact: diagnostics.Channel;
  readonly end: diagnostics.Channel;
  publishStart(event: RequestStartEvent): void;
  publishRoute(event: RequestRouteEvent): void;
  publishRedact(event: RequestRedactEvent): void;
  /** Given the audit row itself (a RequestEvent plus its two hashes, which the admin stream drops). */
  publishEnd(event: RequestEvent): void;
}

/** The process-wide channels (diagnostics_channel names are global). */
export function createRequestEvents(): RequestEvents {
  const start = diagnostics.channel(CHANNELS.start);
  const route = diagnostics.channel(CHANNELS.route);
  const redact = diagnostics.channel(CHANNELS.redact);
  const end = diagnostics.channel(CHANNELS.end);

  // `end` is published when a request is over, just before its answer is sent: its subscribers
  // (Prometheus metrics, the admin event stream; the metrics alone ~3% of a request's CPU) run
  // once the event-loop turn's answers are written, all of the turn's events in one immediate.
  let endedThisTurn: RequestEvent[] = [];
  const publishEnded = (): void => {
    const events = endedThisTurn;
    endedThisTurn = [];
    for (const event of events) end.publish(event);
  };
  return {
    start,
    route,
    redact,
    end,
    publishStart: (event) => {
      if (start.hasSubscribers) start.publish(event);
    },
    publishRoute: (event) => {
      if (route.hasSubscribers) route.publish(event);
    },
    publishRedact: (event) => {
      if (redact.hasSubscribers) redact.publish(event);
    },
    publishEnd: (event) => {
      if (!end.hasSubscribers) return;
      if (endedThisTurn.length === 0) setImmediate(publishEnded);
      endedThisTurn.push(event);
    },
  };
}
