// JSON.stringify(value) written straight into one reused buffer as UTF-8, for the two big
// serializations of every request: the prompt the audit row hashes and the body sent upstream.
// JSON.stringify of a 1 KB body allocates about three times that on the JS heap (its string
// builder's parts, then the flattened result) and undici then copies the string into a Buffer;
// that garbage is what sets the pace of young-generation GC pauses, which set the p99.
// The bytes are exactly JSON.stringify's UTF-8 for plain JSON data (what JSON.parse returns):
// strings that need escaping (quotes, backslashes, control characters, surrogates) go through
// JSON.stringify itself, and anything else (toJSON, class instances, bigint, cycles, too deep
// or too big) makes jsonBytes return undefined so the caller uses JSON.stringify.

/** Characters that JSON.stringify escapes, plus all surrogates (it escapes lone ones). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

const MAX_DEPTH = 64;
/** The scratch grows to fit a body up to this size; bigger ones fall back to JSON.stringify. */
const MAX_BYTES = 8 * 1024 * 1024;

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/** Thrown inside the writer when the value is not plain JSON data or does not fit. */
class NotPlainJson extends Error {}
const NOT_PLAIN = new NotPlainJson('not plain JSON data');

let scratch = Buffer.allocUnsafe(64 * 1024);
let length = 0;

/**
 * JSON.stringify(value) as UTF-8 bytes (after `prefix`, if given), in a buffer shared by every
 * call: valid until the next call (copy it to keep it). undefined when the value is not plain
 * JSON data (then use JSON.stringify, which gives the same text or the same error).
 */
export function jsonBytes(value: unknown, prefix?: string): Uint8Array | undefined {
  length = 0;
  try {
    if (prefix !== undefined) writeText(prefix);
    writeValue(value, 0);
  } catch (error) {
    if (error instanceof NotPlainJson) return undefined;
    throw error;
  }
  return scratch.subarray(0, length);
}

/** The JSON body of an upstream request: jsonBytes copied out, else JSON.stringify. */
export function jsonBody(value: unknown): string | Uint8Array {
  const bytes = jsonBytes(value);
  return bytes === undefined ? JSON.stringify(value) : Buffer.from(bytes);
}

function reserve(bytes: number): void {
  if (length + bytes <= scratch.length) return;
  const needed = length + bytes;
  if (needed > MAX_BYTES) throw NOT_PLAIN;
  let size = scratch.length * 2;
  while (size < needed) size *= 2;
  const grown = Buffer.allocUnsafe(Math.min(size, MAX_BYTES));
  scratch.copy(grown, 0, 0, length);
  scratch = grown;
}

function writeByte(byte: number): void {
  reserve(1);
  scratch[length++] = byte;
}

function writeText(text: string): void {
  reserve(text.length * 3); // UTF-8 needs at most 3 bytes per UTF-16 unit
  length += scratch.write(text, length);
}

function writeString(text: string): void {
  if (NEEDS_ESCAPE.test(text)) {
    writeText(JSON.stringify(text));
    return;
  }
  writeByte(QUOTE);
  writeText(text);
  writeByte(QUOTE);
}

/** false when JSON.stringify leaves the value out of an object (undefined, functions, symbols). */
function isSerializable(value: unknown): boolean {
  return value !== undefined && typeof value !== 'function' && typeof value !== 'symbol';
}

function writeValue(value: unknown, depth: number): void {
  switch (typeof value) {
    case 'string':
      writeString(value);
      return;
    case 'number':
      writeText(Number.isFinite(value) ? String(value) : 'null');
      return;
    case 'boolean':
      writeText(value ? 'true' : 'false');
      return;
    case 'object':
      break;
    default:
      throw NOT_PLAIN; // undefined at the top, bigint, functions, symbols: JSON.stringify's business
  }
  if (value === null) {
    writeText('null');
    return;
  }
  if (depth >= MAX_DEPTH) throw NOT_PLAIN;
  if (Array.isArray(value)) {
    writeByte(OPEN_ARRAY);
    for (let i = 0; i < value.length; i++) {
      if (i > 0) writeByte(COMMA);
      const item: unknown = value[i];
      if (isSerializable(item)) writeValue(item, depth + 1);
      else writeText('null');
    }
    writeByte(CLOSE_ARRAY);
    return;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) throw NOT_PLAIN;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') throw NOT_PLAIN;
  const object = value as Record<string, unknown>;
  writeByte(OPEN_OBJECT);
  let first = true;
  // for-in visits own enumerable string keys in Object.keys order here (plain object, no
  // enumerable inherited keys) without allocating the keys array.
  for (const key in object) {
    if (!Object.hasOwn(object, key)) continue;
    const item = object[key];
    if (!isSerializable(item)) continue;
    if (!first) writeByte(COMMA);
    first = false;
    writeString(key);
    writeByte(COLON);
    writeValue(item, depth + 1);
  }
  writeByte(CLOSE_OBJECT);
}
