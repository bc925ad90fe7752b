// A generic HTTPS webhook: each batch is one POST of NDJSON (one event per line, in seq
// order), with X-Kagami-Batch naming the seq range and, when a secret is configured,
// X-Kagami-Signature: sha256=<HMAC-SHA256 of the body> so the receiver can authenticate it.
// Any 2xx means the whole batch was accepted.
import { createHmac } from 'node:crypto';
import type { WebhookSinkConfig } from '../../shared/schemas/siem.js';
import { createSinkHttpClient } from './http-delivery.js';
import { resolveHeaders } from './sink-headers.js';
import { actionOf, type SinkDefinition } from './sink.js';

export const webhookSink: SinkDefinition<WebhookSinkConfig> = {
  type: 'webhook',
  create(config, deps) {
    const http = createSinkHttpClient(config.tls, deps);
    const baseHeaders = { ...resolveHeaders(config.headers, deps), 'content-type': 'application/x-ndjson' };
    const secret = config.hmac_secret ? deps.readSecret(config.hmac_secret) : null;
    return {
      id: config.id,
      type: 'webhook',
      async send(events, signal) {
        const body = events
          .map((event) => `${JSON.stringify({ event_id: event.id, kind: event.kind, event_type: actionOf(event), ...event.record })}\n`)
          .join('');
        const headers: Record<string, string> = { ...baseHeaders, 'x-kagami-batch': `${events[0]?.seq}-${events[events.length - 1]?.seq}` };
        if (secret !== null) headers['x-kagami-signature'] = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
        await http.post(config.url, headers, body, signal);
      },
      close: () => http.close(),
    };
  },
};
