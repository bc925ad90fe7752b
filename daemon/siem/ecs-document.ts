// Trail events as Elastic Common Schema documents. Standard facts go in ECS fields (event.*,
// trace.id, user.name, organization.name for the tenant, http.response.status_code, gen_ai.*
// for the model call, rule.name, observer.*); the rest under the custom `kagami.` namespace,
// which ECS leaves to the producer. test/daemon/siem/elastic-sink.test.ts checks every
// non-custom leaf against the ECS field list.
import type { AdminEventRow, AuditRow, RedactionRow } from '../../shared/schemas/audit.js';
import { actionOf, severityOf, type SiemEvent } from './sink.js';

export const ECS_VERSION = '9.4.0';

type Doc = Record<string, unknown>;

/** Sets a dotted path as nested objects (ECS's recommended form); skips null/undefined. */
function put(doc: Doc, path: string, value: unknown): void {
  if (value === null || value === undefined) return;
  const keys = path.split('.');
  let node = doc;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Doc;
  node[keys[keys.length - 1] as string] = value;
}

export interface EcsContext {
  readonly hostname: string;
  readonly version: string;
}

export function toEcsDocument(event: SiemEvent, context: EcsContext): Doc {
  const doc: Doc = {};
  put(doc, '@timestamp', new Date(event.ts).toISOString());
  put(doc, 'ecs.version', ECS_VERSION);
  put(doc, 'event.id', event.id);
  put(doc, 'event.kind', 'event');
  put(doc, 'event.module', 'kagami');
  put(doc, 'event.dataset', `kagami.${event.kind}`);
  put(doc, 'event.action', actionOf(event));
  put(doc, 'event.sequence', event.seq);
  // ECS: "hash of raw field to be able to demonstrate log integrity": the chain hash.
  put(doc, 'event.hash', event.record.hash);
  put(doc, 'event.severity', severityOf(event).cef);
  put(doc, 'observer.vendor', 'Kagami');
  put(doc, 'observer.product', 'Kagami Gateway');
  put(doc, 'observer.version', context.version);
  put(doc, 'observer.hostname', context.hostname);
  put(doc, 'kagami.seq', event.seq);
  put(doc, 'kagami.prev_hash', event.record.prev_hash);

  if (event.kind === 'request') {
    const r = event.record as AuditRow;
    put(doc, 'event.category', ['api']);
    put(doc, 'event.type', [r.status >= 400 ? 'error' : 'access']);
    put(doc, 'event.outcome', r.status < 400 ? 'success' : 'failure');
    put(doc, 'event.duration', Math.round(r.latency_ms * 1e6));
    put(doc, 'trace.id', r.trace_id);
    put(doc, 'user.name', r.user);
    put(doc, 'organization.name', r.tenant);
    put(doc, 'http.response.status_code', r.status);
    put(doc, 'error.code', r.error_code);
    put(doc, 'rule.name', r.rule);
    put(doc, 'gen_ai.operation.name', r.api.endsWith('embeddings') ? 'embeddings' : 'chat');
    put(doc, 'gen_ai.system', r.provider);
    put(doc, 'gen_ai.request.model', r.requested_model);
    put(doc, 'gen_ai.response.model', r.upstream_model);
    put(doc, 'gen_ai.usage.input_tokens', r.prompt_tokens);
    put(doc, 'gen_ai.usage.output_tokens', r.completion_tokens);
    put(doc, 'kagami.request', {
      api: r.api,
      key_id: r.key_id,
      endpoint: r.endpoint,
      stream: r.stream,
      total_tokens: r.total_tokens,
      latency_ms: r.latency_ms,
      upstream_ms: r.upstream_ms,
      gateway_ms: r.gateway_ms,
      request_sha256: r.request_sha256,
      response_sha256: r.response_sha256,
      cost_usd: r.cost_usd,
      cache_hit: r.cache_hit,
      fallbacks: r.fallbacks,
      redactions: r.redactions,
      // Free-form: kept as a string so its keys cannot collide with the index mapping.
      decision: r.decision === null ? null : JSON.stringify(r.decision),
    });
  } else if (event.kind === 'redaction') {
    const r = event.record as RedactionRow;
    put(doc, 'event.category', ['intrusion_detection']);
    put(doc, 'event.type', ['info']);
    put(doc, 'trace.id', r.trace_id);
    put(doc, 'kagami.redaction', {
      entity_type: r.entity_type,
      detector: r.detector,
      score: r.score,
      action: r.action,
      location: r.location,
      start: r.start,
      end: r.end,
      preview: r.preview,
    });
  } else {
    const r = event.record as AdminEventRow;
    put(doc, 'event.category', ['configuration']);
    put(doc, 'event.type', ['admin']);
    put(doc, 'user.name', r.actor);
    put(doc, 'organization.name', r.tenant);
    put(doc, 'kagami.admin', { type: r.type, details: JSON.stringify(r.details) });
  }
  return doc;
}
