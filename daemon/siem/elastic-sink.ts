// Elasticsearch bulk API: one `create` action per event with `_id` = the event id, so a
// resent batch cannot index a row twice (a duplicate answers 409, which counts as delivered).
// Works for plain indices and data streams (which accept only `create`). Any other per-item
// failure (429, 5xx, a mapping error) fails the batch, and the outbox retries it.
import type { ElasticSinkConfig } from '../../shared/schemas/siem.js';
import { toEcsDocument } from './ecs-document.js';
import { createSinkHttpClient } from './http-delivery.js';
import { DeliveryError, type SinkDefinition } from './sink.js';

interface BulkAnswer {
  errors?: boolean;
  items?: Record<string, { status?: number; error?: { type?: string; reason?: string } }>[];
}

export const elasticSink: SinkDefinition<ElasticSinkConfig> = {
  type: 'elastic',
  create(config, deps) {
    const http = createSinkHttpClient(config.tls, deps);
    const index = config.index ?? 'kagami-audit';
    const url = `${config.url.replace(/\/+$/, '')}/_bulk`;
    const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
    if (config.api_key) headers.authorization = `ApiKey ${deps.readSecret(config.api_key)}`;
    else if (config.username !== undefined && config.password) {
      headers.authorization = `Basic ${Buffer.from(`${config.username}:${deps.readSecret(config.password)}`).toString('base64')}`;
    }
    const context = { hostname: deps.hostname, version: deps.version };

    return {
      id: config.id,
      type: 'elastic',
      async send(events, signal) {
        let body = '';
        for (const event of events) {
          body += `${JSON.stringify({ create: { _index: index, _id: event.id } })}\n${JSON.stringify(toEcsDocument(event, context))}\n`;
        }
        const answer = await http.post(url, headers, body, signal);
        const parsed = JSON.parse(answer.text) as BulkAnswer;
        if (parsed.errors !== true) return;
        const failed = (parsed.items ?? [])
          .map((item) => Object.values(item)[0])
          .find((result) => result !== undefined && result.status !== 201 && result.status !== 200 && result.status !== 409);
        if (failed !== undefined) {
          throw new DeliveryError(`bulk item refused: ${failed.status} ${failed.error?.type ?? ''} ${failed.error?.reason ?? ''}`.trim());
        }
      },
      close: () => http.close(),
    };
  },
};
