// Applies the per-entity actions to a scanned request: masks, pseudonymizes (filling the
// request's PseudonymTable), or refuses the request when a `block` type was found. Returns the
// body to send upstream (a copy; the client's body is left as received) and the findings for
// the redaction log.
import { GatewayError } from '../../shared/errors.js';
import type { EntityType, RedactionAction, RedactionFinding } from '../../shared/schemas/redaction.js';
import type { JsonObject } from '../pipeline/context.js';
import { isOneLine, maskedPreview } from './preview.js';
import type { PseudonymTable } from './pseudonyms.js';
import { collectTextSlots } from './request-texts.js';
import type { PiiScan } from './scanner.js';
import type { Span } from './types.js';

export interface RequestRedaction<T extends JsonObject> {
  /** The body to forward: the same object when nothing changed. */
  readonly body: T;
  readonly findings: RedactionFinding[];
  /** Entity types whose action is block (non-empty → the caller refuses the request). */
  readonly blocked: readonly EntityType[];
}

/** The value as the person wrote it: tool-call arguments hold JSON-escaped text. */
function decodeValue(raw: string, json: boolean): string {
  if (!json || !raw.includes('\\')) return raw;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}

export function replacementFor(
  type: EntityType,
  action: RedactionAction,
  value: string,
  pseudonyms: PseudonymTable,
): string | null {
  switch (action) {
    case 'mask':
      return `[${type}]`;
    case 'pseudonymize':
      return pseudonyms.placeholderFor(type, value);
    default:
      return null;
  }
}

/** Rewrites `text` with each span's replacement (null = keep). */
export function rewrite(text: string, spans: readonly Span[], replace: (span: Span) => string | null): string {
  let out = '';
  let cursor = 0;
  for (const span of spans) {
    const replacement = replace(span);
    if (replacement === null) continue;
    out += text.slice(cursor, span.start) + replacement;
    cursor = span.end;
  }
  return cursor === 0 ? text : out + text.slice(cursor);
}

export function redactRequest<T extends JsonObject>(
  body: T,
  scan: PiiScan,
  actionFor: (type: EntityType) => RedactionAction,
  pseudonyms: PseudonymTable,
): RequestRedaction<T> {
  const findings: RedactionFinding[] = [];
  const blocked = new Set<EntityType>();
  const rewrites: { write: (target: JsonObject) => void }[] = [];
  // A user may have written "<EMAIL_1>" themselves: new placeholders skip such names.
  if (scan.slots.some(({ spans }) => spans.some((span) => actionFor(span.type) === 'pseudonymize'))) {
    for (const slot of collectTextSlots(body)) pseudonyms.reserveExisting(slot.text);
  }
  for (const { slot, spans } of scan.slots) {
    const oneLine = spans.length > 1 && isOneLine(slot.text);
    spans.forEach((span, index) => {
      const action = actionFor(span.type);
      if (action === 'block') blocked.add(span.type);
      findings.push({
        entity_type: span.type,
        detector: span.detector,
        score: Math.round(span.score * 1000) / 1000,
        action,
        location: slot.location,
        start: span.start,
        end: span.end,
        preview: maskedPreview(slot.text, spans, index, oneLine),
      });
    });
    if (blocked.size > 0) continue;
    const text = rewrite(slot.text, spans, (span) =>
      replacementFor(span.type, actionFor(span.type), decodeValue(slot.text.slice(span.start, span.end), slot.json), pseudonyms),
    );
    if (text !== slot.text) rewrites.push({ write: (target) => slot.write(target, text) });
  }
  if (blocked.size > 0 || rewrites.length === 0) return { body, findings, blocked: [...blocked] };
  const copy = structuredClone(body);
  for (const change of rewrites) change.write(copy);
  return { body: copy, findings, blocked: [] };
}

/** The 400 for a request carrying a blocked entity type: names the types, never the values. */
export function piiBlockedError(blocked: readonly EntityType[], findings: readonly RedactionFinding[]): GatewayError {
  const first = findings.find((finding) => finding.action === 'block');
  return new GatewayError(
    'pii_blocked',
    `The request was refused because it contains data the redaction policy blocks: ${blocked.join(', ')}. Remove it and retry.`,
    { param: first?.location ?? null },
  );
}
