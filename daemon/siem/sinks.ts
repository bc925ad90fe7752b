// Registry: every SIEM sink type. Adding one is its module plus ONE line here (and its config
// schema in shared/schemas/siem.ts).
import type { SinkConfig } from '../../shared/schemas/siem.js';
import { elasticSink } from './elastic-sink.js';
import { otlpLogsSink } from './otlp-logs-sink.js';
import type { SiemSink, SinkDefinition, SinkDeps } from './sink.js';
import { splunkHecSink } from './splunk-hec-sink.js';
import { syslogSink } from './syslog-sink.js';
import { webhookSink } from './webhook-sink.js';

const SINK_TYPES: readonly { readonly type: string }[] = [
  splunkHecSink,
  syslogSink,
  elasticSink,
  otlpLogsSink,
  webhookSink,
];

export function createSink(config: SinkConfig, deps: SinkDeps): SiemSink {
  // Each definition's config type is narrowed by its `type`, which the lookup matches.
  const definition = SINK_TYPES.find((candidate) => candidate.type === config.type) as SinkDefinition | undefined;
  if (definition === undefined) throw new Error(`siem: unknown sink type "${config.type}"`);
  return definition.create(config, deps);
}
