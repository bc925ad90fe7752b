// Where a request carries free text: every slot the redaction scans, with its location, and
// nothing else (images, audio, token arrays, tool schemas); odd shapes are skipped, not fatal.
import { describe, expect, it } from 'vitest';
import { collectTextSlots } from '../../../daemon/redaction/request-texts.js';

describe('collectTextSlots', () => {
  it('finds string content, text parts, tool-call and function-call arguments, in document order', () => {
    const body = {
      model: 'm',
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: [{ type: 'text', text: 'part' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }, { type: 'input_audio', input_audio: { data: 'AAAA' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] },
        { role: 'assistant', content: null, function_call: { name: 'g', arguments: '{"b":2}' } },
        { role: 'tool', tool_call_id: 'c', content: 'result' },
      ],
      tools: [{ type: 'function', function: { name: 'f', description: 'not scanned', parameters: {} } }],
    };
    expect(collectTextSlots(body).map((slot) => [slot.location, slot.text, slot.json])).toEqual([
      ['messages[0].content', 'sys', false],
      ['messages[1].content[0].text', 'part', false],
      ['messages[2].tool_calls[0].function.arguments', '{"a":1}', true],
      ['messages[3].function_call.arguments', '{"b":2}', true],
      ['messages[4].content', 'result', false],
    ]);
  });

  it('finds the completions prompt and suffix and the embeddings input, skipping token arrays', () => {
    expect(collectTextSlots({ model: 'm', prompt: ['a', [1, 2, 3], 'b'], suffix: 's' }).map((slot) => slot.location)).toEqual(['prompt[0]', 'prompt[2]', 'suffix']);
    expect(collectTextSlots({ model: 'm', input: 'one' }).map((slot) => slot.location)).toEqual(['input']);
    expect(collectTextSlots({ model: 'm', input: [[1, 2], [3]] })).toEqual([]);
  });

  it('writes into a copy at the slot location', () => {
    const body = { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'old' }] }] };
    const copy = structuredClone(body);
    collectTextSlots(body)[0]?.write(copy, 'new');
    expect(copy.messages[0]?.content[0]?.text).toBe('new');
    expect(body.messages[0]?.content[0]?.text).toBe('old');
  });

  it('skips odd shapes instead of failing', () => {
    const odd = { model: 'm', messages: [null, 'text', 42, { role: 'user' }, { content: [null, 'x', { text: 5 }] }, { tool_calls: [null, { function: null }, { function: { arguments: {} } }] }], prompt: 7, input: { a: 1 } };
    expect(collectTextSlots(odd as unknown as Record<string, unknown>)).toEqual([]);
    expect(collectTextSlots({ model: 'm', messages: 'not a list' })).toEqual([]);
  });
});
