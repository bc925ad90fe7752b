// Splunk HTTP Event Collector: batches of JSON events POSTed to /services/collector/event
// (one event object after another in the body, as HEC batching expects), authenticated with
// `Authorization: Splunk <token>` and sent on a fixed X-Splunk-Request-Channel. With indexer
// acknowledgement enabled, a batch counts as delivered only once /services/collector/ack says
// its ackId was indexed; a timeout resends the batch (the event id de-duplicates).
import { createHash } from 'node:crypto';
import type { SplunkHecSinkConfig } from '../../shared/schemas/siem.js';
import { createSinkHttpClient } from './http-delivery.js';
import { DeliveryError, actionOf, type SinkDefinition } from './sink.js';

/** A stable GUID per sink id, so a restarted daemon keeps its channel. */
export function channelFor(sinkId: string): string {
  const hex = createHash('sha256').update(`kagami-hec-channel:${sinkId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export const splunkHecSink: SinkDefinition<SplunkHecSinkConfig> = {
  type: 'splunk_hec',
  create(config, deps) {
    const http = createSinkHttpClient(config.tls, deps);
    const base = config.url.replace(/\/+$/, '');
    const headers = {
      authorization: `Splunk ${deps.readSecret(config.token)}`,
      'x-splunk-request-channel': config.channel ?? channelFor(config.id),
      'content-type': 'application/json',
    };
    const ackEnabled = config.ack?.enabled === true;
    const pollMs = config.ack?.poll_ms ?? 1000;
    const ackTimeoutMs = (config.ack?.timeout_s ?? 120) * 1000;

    async function waitForAck(ackId: number, signal: AbortSignal): Promise<void> {
      const body = JSON.stringify({ acks: [ackId] });
      for (let waited = 0; waited <= ackTimeoutMs; waited += pollMs) {
        const answer = await http.post(`${base}/services/collector/ack`, headers, body, signal);
        const acks = (JSON.parse(answer.text) as { acks?: Record<string, boolean> }).acks;
        if (acks?.[String(ackId)] === true) return;
        await deps.sleep(pollMs, signal);
        if (signal.aborted) throw new DeliveryError('stopped while waiting for the indexer acknowledgement');
      }
      throw new DeliveryError(`no indexer acknowledgement for ackId ${ackId} within ${ackTimeoutMs / 1000} s`);
    }

    return {
      id: config.id,
      type: 'splunk_hec',
      async send(events, signal) {
        const body = events
          .map((event) =>
            JSON.stringify({
              time: event.ts / 1000,
              host: deps.hostname,
              source: config.source ?? 'kagami',
              sourcetype: config.sourcetype ?? 'kagami:audit',
              ...(config.index ? { index: config.index } : {}),
              event: { event_id: event.id, kind: event.kind, event_type: actionOf(event), ...event.record },
            }),
          )
          .join('\n');
        const answer = await http.post(`${base}/services/collector/event`, headers, body, signal);
        let parsed: { code?: number; text?: string; ackId?: number };
        try {
          parsed = JSON.parse(answer.text) as typeof parsed;
        } catch {
          throw new DeliveryError(`HEC answered ${answer.status} with a body that is not JSON`);
        }
        if (parsed.code !== 0) throw new DeliveryError(`HEC refused the batch: code ${parsed.code} ${parsed.text ?? ''}`);
        if (ackEnabled) {
          if (typeof parsed.ackId !== 'number') throw new DeliveryError('indexer acknowledgement is enabled but HEC returned no ackId (is it enabled on the token?)');
          await waitForAck(parsed.ackId, signal);
        }
      },
      close: () => http.close(),
    };
  },
};
