// A strict checker for OTLP/JSON bodies, written from the published protos
// (opentelemetry/proto/{common,resource,logs,trace}/v1/*.proto, collector/*/v1/*_service.proto)
// and the OTLP/HTTP JSON rules: field names in lowerCamelCase (the JSON names), 64-bit
// integers as decimal strings, enums as integers, trace/span ids as lower-case hex, AnyValue a
// oneof with exactly one member. Unknown fields are errors, so a misspelt name fails the test.

type FieldType =
  | 'string' | 'bool' | 'double' | 'uint32' | 'fixed32' | 'int64' | 'fixed64' | 'enum' | 'traceId' | 'spanId' | 'bytes'
  | { message: string; repeated?: boolean };

const m = (message: string) => ({ message });
const r = (message: string) => ({ message, repeated: true });

const MESSAGES: Record<string, Record<string, FieldType>> = {
  ExportLogsServiceRequest: { resourceLogs: r('ResourceLogs') },
  ResourceLogs: { resource: m('Resource'), scopeLogs: r('ScopeLogs'), schemaUrl: 'string' },
  ScopeLogs: { scope: m('InstrumentationScope'), logRecords: r('LogRecord'), schemaUrl: 'string' },
  LogRecord: {
    timeUnixNano: 'fixed64', observedTimeUnixNano: 'fixed64', severityNumber: 'enum', severityText: 'string',
    body: m('AnyValue'), attributes: r('KeyValue'), droppedAttributesCount: 'uint32', flags: 'fixed32',
    traceId: 'traceId', spanId: 'spanId', eventName: 'string',
  },
  ExportTraceServiceRequest: { resourceSpans: r('ResourceSpans') },
  ResourceSpans: { resource: m('Resource'), scopeSpans: r('ScopeSpans'), schemaUrl: 'string' },
  ScopeSpans: { scope: m('InstrumentationScope'), spans: r('Span'), schemaUrl: 'string' },
  Span: {
    traceId: 'traceId', spanId: 'spanId', traceState: 'string', parentSpanId: 'spanId', flags: 'fixed32', name: 'string',
    kind: 'enum', startTimeUnixNano: 'fixed64', endTimeUnixNano: 'fixed64', attributes: r('KeyValue'),
    droppedAttributesCount: 'uint32', events: r('SpanEvent'), droppedEventsCount: 'uint32', links: r('SpanLink'),
    droppedLinksCount: 'uint32', status: m('Status'),
  },
  SpanEvent: { timeUnixNano: 'fixed64', name: 'string', attributes: r('KeyValue'), droppedAttributesCount: 'uint32' },
  SpanLink: { traceId: 'traceId', spanId: 'spanId', traceState: 'string', attributes: r('KeyValue'), droppedAttributesCount: 'uint32', flags: 'fixed32' },
  Status: { message: 'string', code: 'enum' },
  Resource: { attributes: r('KeyValue'), droppedAttributesCount: 'uint32' },
  InstrumentationScope: { name: 'string', version: 'string', attributes: r('KeyValue'), droppedAttributesCount: 'uint32' },
  KeyValue: { key: 'string', value: m('AnyValue') },
  AnyValue: { stringValue: 'string', boolValue: 'bool', intValue: 'int64', doubleValue: 'double', arrayValue: m('ArrayValue'), kvlistValue: m('KeyValueList'), bytesValue: 'bytes' },
  ArrayValue: { values: r('AnyValue') },
  KeyValueList: { values: r('KeyValue') },
};

function checkScalar(type: Exclude<FieldType, { message: string }>, value: unknown, path: string, errors: string[]): void {
  const fail = (expected: string) => errors.push(`${path}: expected ${expected}, got ${JSON.stringify(value)}`);
  switch (type) {
    case 'string':
      if (typeof value !== 'string') fail('a string');
      break;
    case 'bool':
      if (typeof value !== 'boolean') fail('a boolean');
      break;
    case 'double':
      if (typeof value !== 'number') fail('a number');
      break;
    case 'uint32':
    case 'fixed32':
    case 'enum':
      if (!Number.isInteger(value) || (value as number) < 0) fail('a non-negative integer');
      break;
    case 'int64':
      if (typeof value !== 'string' || !/^-?\d+$/.test(value)) fail('an int64 as a decimal string');
      break;
    case 'fixed64':
      if (typeof value !== 'string' || !/^\d+$/.test(value)) fail('a fixed64 as a decimal string');
      break;
    case 'traceId':
      if (typeof value !== 'string' || !/^[0-9a-f]{32}$/.test(value)) fail('32 lower-case hex digits');
      break;
    case 'spanId':
      if (typeof value !== 'string' || !/^[0-9a-f]{16}$/.test(value)) fail('16 lower-case hex digits');
      break;
    case 'bytes':
      if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) fail('base64');
      break;
  }
}

function checkMessage(name: string, value: unknown, path: string, errors: string[]): void {
  const fields = MESSAGES[name]!;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    errors.push(`${path}: expected a ${name} object`);
    return;
  }
  const keys = Object.keys(value);
  if (name === 'AnyValue' && keys.length !== 1) errors.push(`${path}: AnyValue must set exactly one member, has ${keys.join(', ') || 'none'}`);
  for (const key of keys) {
    const type = fields[key];
    const child = (value as Record<string, unknown>)[key];
    const at = `${path}.${key}`;
    if (type === undefined) {
      errors.push(`${at}: no such field in ${name}`);
    } else if (typeof type === 'object') {
      if (type.repeated) {
        if (!Array.isArray(child)) errors.push(`${at}: expected an array`);
        else child.forEach((item, index) => checkMessage(type.message, item, `${at}[${index}]`, errors));
      } else checkMessage(type.message, child, at, errors);
    } else checkScalar(type, child, at, errors);
  }
}

/** Every violation of the OTLP JSON mapping in `body` (empty when it conforms). */
export function otlpJsonErrors(root: 'ExportLogsServiceRequest' | 'ExportTraceServiceRequest', body: unknown): string[] {
  const errors: string[] = [];
  checkMessage(root, body, root, errors);
  return errors;
}
