// Capability checks before forwarding: tools / vision / json_mode / context_window.
import { describe, expect, it } from 'vitest';
import { createCapabilityFilter } from '../../daemon/providers/model-capabilities.js';
import type { GatewayRequest, Target } from '../../daemon/pipeline/context.js';
import type { Config } from '../../shared/schemas/config.js';

const caps = (over: Partial<Config['models'][number]['capabilities']>) => ({ chat: true, embeddings: false, completions: false, tools: false, vision: false, json_mode: false, ...over });
const models = [
  { name: 'plain', provider: 'p', model: 'm-plain', capabilities: caps({ context_window: 1000 }) },
  { name: 'full', provider: 'p', model: 'm-full', capabilities: caps({ tools: true, vision: true, json_mode: true }) },
] as unknown as Config['models'];
const target = (name: string): Target => ({ endpoint: name, provider: 'p', upstreamModel: `m-${name}` });
const chat = (body: Record<string, unknown>): GatewayRequest => ({ op: 'chat', body: { model: 'x', messages: [{ role: 'user', content: 'hi' }], ...body } });

describe('createCapabilityFilter', () => {
  const filter = createCapabilityFilter(models);

  it('keeps targets that have what the request needs', async () => {
    expect(await filter([target('plain')], chat({}))).toEqual([target('plain')]);
    expect(await filter([target('full')], chat({ tools: [{ type: 'function', function: { name: 'f' } }] }))).toEqual([target('full')]);
  });

  it('drops a target lacking a capability and keeps the fallback that has it', async () => {
    const request = chat({ response_format: { type: 'json_object' } });
    expect(await filter([target('plain'), target('full')], request)).toEqual([target('full')]);
  });

  it('answers 400 capability_missing naming the capability and the field when no target has it', async () => {
    await expect(filter([target('plain')], chat({ tools: [{ type: 'function', function: { name: 'f' } }] }))).rejects.toMatchObject({
      code: 'capability_missing',
      status: 400,
      param: 'tools',
      message: expect.stringContaining('does not support tools'),
    });
    const vision = chat({ messages: [{ role: 'user', content: 'a' }, { role: 'user', content: [{ type: 'text', text: 'b' }, { type: 'image_url', image_url: { url: 'https://x/y.png' } }] }] });
    await expect(filter([target('plain')], vision)).rejects.toMatchObject({ param: 'messages[1].content[1]', message: expect.stringContaining('vision') });
  });

  it('refuses a prompt larger than the context window, counting tokens only for large prompts', async () => {
    await expect(filter([target('plain')], chat({ messages: [{ role: 'user', content: 'word '.repeat(3000) }] }))).rejects.toMatchObject({
      code: 'capability_missing',
      param: 'messages',
      message: expect.stringContaining('context window'),
    });
    // 700 short words fit 1000 tokens, but not with 500 reserved for the answer.
    const medium = chat({ messages: [{ role: 'user', content: 'word '.repeat(700) }] });
    expect(await filter([target('plain')], medium)).toHaveLength(1);
    await expect(filter([target('plain')], { ...medium, body: { ...medium.body, max_tokens: 500 } })).rejects.toMatchObject({ code: 'capability_missing' });
  });

  it('does not judge targets the config does not describe', async () => {
    const unknown = { endpoint: 'policy-endpoint', provider: 'q', upstreamModel: 'z' };
    expect(await filter([unknown], chat({ tools: [{ type: 'function', function: { name: 'f' } }] }))).toEqual([unknown]);
  });
});
