import { describe, expect, it } from 'vitest';
import { jsonBody, jsonBytes } from '../../../daemon/pipeline/json-bytes.js';

const text = (bytes: Uint8Array | undefined): string | undefined => (bytes === undefined ? undefined : Buffer.from(bytes).toString('utf8'));

const SAMPLES: unknown[] = [
  { model: 'm', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'The report covers revenue. '.repeat(40) }], temperature: 0.2, stream: false },
  [1, -0, 1e21, 1.5e-7, Number.NaN, Number.POSITIVE_INFINITY, null, true, false, undefined, () => 1, 'x'],
  { a: undefined, b: () => 1, c: Symbol('s'), d: null, 2: 'two', 1: 'one', z: [] , e: {} },
  'quote " backslash \\ newline \n tab \t nul \u0000 del \u007f line sep \u2028',
  'émoji 😀 日本語 and a lone surrogate \ud800 here',
  { 'key "quoted"': 1, 'キー': '値', '': '' },
  Object.assign(Object.create(null) as object, { b: 1, a: 2 }),
  [[[[['deep']]]]],
  { content: [{ type: 'text', text: 'hi' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
];

describe('jsonBytes', () => {
  it('gives exactly the UTF-8 of JSON.stringify for plain JSON data', () => {
    for (const value of SAMPLES) expect(text(jsonBytes(value))).toBe(JSON.stringify(value));
  });

  it('matches JSON.stringify on what JSON.parse returns, escapes included', () => {
    const parsed: unknown = JSON.parse('{"b":"\\u00e9\\"\\\\","a":[1,2.5,{"x":null}],"10":true,"1":"\\ud83d\\ude00"}');
    expect(text(jsonBytes(parsed))).toBe(JSON.stringify(parsed));
  });

  it('writes a prefix before the value', () => {
    expect(text(jsonBytes(['a', 1], 'kagami-audit/v1\n'))).toBe('kagami-audit/v1\n["a",1]');
  });

  it('leaves what is not plain data to JSON.stringify', () => {
    expect(jsonBytes(undefined)).toBeUndefined();
    expect(jsonBytes({ when: new Date(0) })).toBeUndefined();
    expect(jsonBytes({ n: 1n })).toBeUndefined();
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(jsonBytes(cycle)).toBeUndefined();
  });

  it('grows past its first buffer for a big body', () => {
    const big = { messages: [{ role: 'user', content: 'x'.repeat(200_000) + 'é'.repeat(50_000) }] };
    expect(text(jsonBytes(big))).toBe(JSON.stringify(big));
  });

  it('jsonBody returns a copy that later calls do not overwrite', () => {
    const first = jsonBody({ a: 'first' });
    jsonBody({ a: 'second, longer' });
    expect(Buffer.from(first as Uint8Array).toString()).toBe('{"a":"first"}');
    expect(jsonBody({ when: new Date(0) })).toBe(JSON.stringify({ when: new Date(0) }));
  });
});
