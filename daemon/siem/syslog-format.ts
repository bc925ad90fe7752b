// Trail events as syslog messages: RFC 5424 (header, structured data with the event id, and a
// JSON or CEF body), framed by octet counting (RFC 6587 §3.4.1, which RFC 5425 uses over TLS
// too): `<byte length> <message>`, so messages may contain newlines.
import type { AdminEventRow, AuditRow, RedactionRow } from '../../shared/schemas/audit.js';
import { actionOf, severityOf, type SiemEvent } from './sink.js';

/** Private enterprise number for the structured-data id: 32473 is reserved for documentation
 * and examples (RFC 5612); SIEM parsers match on "kagami@32473". */
export const SD_ID = 'kagami@32473';
const BOM = '\uFEFF';

export interface SyslogFormatOptions {
  readonly facility: number;
  readonly hostname: string;
  readonly appName: string;
  readonly procId: string;
  readonly body: 'json' | 'cef';
  readonly version: string;
}

const sdEscape = (value: string) => value.replace(/[\\"\]]/g, (c) => `\\${c}`);

/** One RFC 5424 message (without framing). */
export function formatSyslogMessage(event: SiemEvent, options: SyslogFormatOptions): string {
  const pri = options.facility * 8 + severityOf(event).syslog;
  const timestamp = new Date(event.ts).toISOString();
  const traceId = 'trace_id' in event.record ? event.record.trace_id : null;
  const sd = `[${SD_ID} id="${event.id}" seq="${event.seq}" kind="${event.kind}"${traceId ? ` trace_id="${sdEscape(traceId)}"` : ''}]`;
  const body = options.body === 'cef' ? formatCef(event, options.version) : BOM + JSON.stringify({ event_id: event.id, kind: event.kind, event_type: actionOf(event), ...event.record });
  return `<${pri}>1 ${timestamp} ${options.hostname} ${options.appName} ${options.procId} ${event.kind} ${sd} ${body}`;
}

/** RFC 6587 octet-counting frame. */
export function frameOctetCounted(message: string): Buffer {
  const payload = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${payload.length} `, 'ascii'), payload]);
}

// ---- CEF (ArcSight Common Event Format, rev 25) ----

const cefHeader = (value: string) => value.replace(/[\\|]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ');
const cefValue = (value: string) =>
  value.replace(/\\/g, '\\\\').replace(/=/g, '\\=').replace(/\r\n|\n/g, '\\n').replace(/\r/g, '\\r');

type Extension = [key: string, value: string | number | null | undefined][];

function labelled(extension: Extension, slot: string, label: string, value: string | number | null | undefined): void {
  if (value === null || value === undefined) return;
  extension.push([`${slot}Label`, label], [slot, value]);
}

/** A CEF:0 line for the event. Custom fields use the cs/cn/cfp slots with labels. */
export function formatCef(event: SiemEvent, version: string): string {
  const extension: Extension = [['rt', event.ts], ['externalId', event.id], ['cat', event.kind]];
  let name: string;
  if (event.kind === 'request') {
    const r = event.record as AuditRow;
    name = `LLM request ${r.status}${r.requested_model ? ` ${r.requested_model}` : ''}`;
    extension.push(['suser', r.user], ['outcome', String(r.status)], ['reason', r.error_code]);
    labelled(extension, 'cs1', 'tenant', r.tenant);
    labelled(extension, 'cs2', 'traceId', r.trace_id);
    labelled(extension, 'cs3', 'requestedModel', r.requested_model);
    labelled(extension, 'cs4', 'provider', r.provider);
    labelled(extension, 'cs5', 'upstreamModel', r.upstream_model);
    labelled(extension, 'cs6', 'rule', r.rule);
    labelled(extension, 'cn1', 'latencyMs', Math.round(r.latency_ms));
    labelled(extension, 'cn2', 'totalTokens', r.total_tokens);
    labelled(extension, 'cn3', 'redactions', Object.values(r.redactions).reduce((a, b) => a + b, 0));
    labelled(extension, 'cfp1', 'costUsd', r.cost_usd);
  } else if (event.kind === 'redaction') {
    const r = event.record as RedactionRow;
    name = `PII ${r.entity_type} ${r.action}`;
    extension.push(['act', r.action]);
    labelled(extension, 'cs2', 'traceId', r.trace_id);
    labelled(extension, 'cs3', 'entityType', r.entity_type);
    labelled(extension, 'cs4', 'detector', r.detector);
    labelled(extension, 'cs5', 'location', r.location);
    labelled(extension, 'cfp1', 'score', r.score);
  } else {
    const r = event.record as AdminEventRow;
    name = `Admin ${r.type}`;
    extension.push(['act', r.type], ['suser', r.actor], ['msg', JSON.stringify(r.details)]);
    labelled(extension, 'cs1', 'tenant', r.tenant);
  }
  const ext = extension
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([key, value]) => `${key}=${cefValue(String(value))}`)
    .join(' ');
  return `CEF:0|Kagami|Kagami Gateway|${cefHeader(version)}|${cefHeader(actionOf(event))}|${cefHeader(name)}|${severityOf(event).cef}|${ext}`;
}
