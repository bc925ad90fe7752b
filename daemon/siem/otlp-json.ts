// OTLP's JSON encoding (the proto3 JSON mapping with OTLP's own rules): lowerCamelCase field
// names, 64-bit integers as decimal strings, enums as numbers, trace and span ids as lower-case
// hex (not base64). Shared by the OTLP logs sink and the trace exporter.

export type AnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: AnyValue[] } }
  | { kvlistValue: { values: KeyValue[] } };

export interface KeyValue {
  key: string;
  value: AnyValue;
}

/** A JS value as an OTLP AnyValue; objects and arrays become kvlist/array values. */
export function anyValue(value: unknown): AnyValue {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  if (typeof value === 'bigint') return { intValue: value.toString() };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(anyValue) } };
  if (value !== null && typeof value === 'object') return { kvlistValue: { values: attributes(value as Record<string, unknown>) } };
  return { stringValue: String(value) };
}

/** Attributes from an object; null/undefined values are left out (OTLP has no null). */
export function attributes(values: Record<string, unknown>): KeyValue[] {
  const list: KeyValue[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (value !== null && value !== undefined) list.push({ key, value: anyValue(value) });
  }
  return list;
}

/** ms since the epoch as OTLP's fixed64 nanoseconds, a decimal string. */
export function unixNano(ms: number): string {
  return (BigInt(Math.trunc(ms)) * 1_000_000n + BigInt(Math.round((ms % 1) * 1e6))).toString();
}

const HEX_TRACE_ID = /^[0-9a-f]{32}$/;
export const isTraceId = (value: string | null | undefined): value is string => value != null && HEX_TRACE_ID.test(value) && !/^0+$/.test(value);
