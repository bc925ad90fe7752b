// What a SIEM sink is: one small module per destination (Splunk HEC, syslog, Elastic, OTLP
// logs, webhook) that turns a batch of trail events into its wire format and delivers it.
// The outbox (outbox.ts) owns ordering, cursors, batching and retries; a sink only has to
// resolve when the receiver accepted the WHOLE batch and throw otherwise (the batch is then
// resent, so receivers de-duplicate by the event id).
import type { AdminEventRow, AuditKind, AuditRow, RedactionRow } from '../../shared/schemas/audit.js';
import type { SecretRef } from '../../shared/schemas/config.js';
import type { SinkConfig } from '../../shared/schemas/siem.js';

/** One trail row as shipped. */
export interface SiemEvent {
  /** Stable across redeliveries and restarts: the row's chain hash (hex). */
  readonly id: string;
  readonly seq: number;
  readonly kind: AuditKind;
  /** The row's time (ms). */
  readonly ts: number;
  readonly record: AuditRow | RedactionRow | AdminEventRow;
}

export interface SiemSink {
  readonly id: string;
  readonly type: SinkConfig['type'];
  /** Resolves once the receiver accepted every event of the batch; throws otherwise. */
  send(events: readonly SiemEvent[], signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** What sink modules get from the daemon (injected so tests can stand in). */
export interface SinkDeps {
  /** A config SecretRef's value; throws naming the ref when unset. */
  readSecret(ref: SecretRef): string;
  readFile(path: string): string;
  /** This machine's name, for syslog HOSTNAME / ECS host.name. */
  readonly hostname: string;
  readonly version: string;
  /** Waits (the outbox's clock, so tests can fake it). */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export interface SinkDefinition<C extends SinkConfig = SinkConfig> {
  readonly type: C['type'];
  create(config: C, deps: SinkDeps): SiemSink;
}

/** A delivery the receiver refused or that broke off; the message goes into the sink status. */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
}

/** Severity of an event on a 0–10 scale (CEF) and its syslog level. */
export function severityOf(event: SiemEvent): { cef: number; syslog: number; text: string } {
  if (event.kind === 'request') {
    const status = (event.record as AuditRow).status;
    if (status >= 500) return { cef: 7, syslog: 3, text: 'ERROR' };
    if (status >= 400) return { cef: 5, syslog: 4, text: 'WARN' };
    return { cef: 3, syslog: 6, text: 'INFO' };
  }
  if (event.kind === 'redaction') return { cef: 5, syslog: 5, text: 'NOTICE' };
  return { cef: 6, syslog: 5, text: 'NOTICE' };
}

/** What happened, as a dotted action name: llm.request, pii.redaction, or the admin event type. */
export function actionOf(event: SiemEvent): string {
  if (event.kind === 'request') return 'llm.request';
  if (event.kind === 'redaction') return 'pii.redaction';
  return (event.record as AdminEventRow).type;
}
