import { describe, expect, it } from 'vitest';
import type { ProviderKeyInfo } from '../../shared/schemas/provider-keys.js';
import { createIpcRouter, IpcRejected, urlIsUnder, type IpcHandlers } from '../../src-main/ipc-router.js';

const UI = 'http://127.0.0.1:8765/ui/';
const mainFrame = (url = `${UI}#/keys`) => ({ senderFrame: { url, parent: null } });

function makeRouter() {
  const calls: Array<[string, unknown[]]> = [];
  const info: ProviderKeyInfo = { provider: 'openai', account: 'provider:openai', fingerprint: '0123456789ab', last4: 'wxyz' };
  const handlers: IpcHandlers = {
    'daemon:connection': async () => ({ url: 'http://127.0.0.1:8765', token: 't' }),
    'daemon:status': async () => ({ state: 'running', url: null, pid: 1, restarts: 0, nextRetryAt: null, lastError: null }),
    'daemon:restart': async () => ({ state: 'running', url: null, pid: 1, restarts: 0, nextRetryAt: null, lastError: null }),
    'keys:list': async () => [info],
    'keys:set': async (...args) => {
      calls.push(['keys:set', args]);
      return info;
    },
    'keys:delete': async (...args) => {
      calls.push(['keys:delete', args]);
      return true;
    },
    'app:open-external': async () => true,
  };
  return { router: createIpcRouter(handlers, (url) => urlIsUnder(url, UI)), calls };
}

describe('createIpcRouter', () => {
  it('runs the handler for the UI main frame with valid arguments', async () => {
    const { router, calls } = makeRouter();
    await expect(router.invoke('keys:set', mainFrame(), ['openai', 'sk-test-1234567890wxyz'])).resolves.toMatchObject({ last4: 'wxyz' });
    expect(calls).toEqual([['keys:set', ['openai', 'sk-test-1234567890wxyz']]]);
  });

  it('refuses callers that are not the main frame of the Kagami UI', async () => {
    const { router, calls } = makeRouter();
    const foreign = [
      { senderFrame: null },
      { senderFrame: { url: `${UI}`, parent: {} } }, // an iframe inside our page
      { senderFrame: { url: 'https://evil.example/ui/', parent: null } },
      { senderFrame: { url: 'http://127.0.0.1:9999/ui/', parent: null } }, // another local port
      { senderFrame: { url: 'http://127.0.0.1:8765/v1/models', parent: null } }, // our origin, not the UI
      { senderFrame: { url: 'data:text/html,hi', parent: null } },
      { senderFrame: { url: 'file:///etc/passwd', parent: null } },
    ];
    for (const event of foreign) {
      await expect(router.invoke('keys:delete', event, ['openai']), JSON.stringify(event)).rejects.toBeInstanceOf(IpcRejected);
    }
    expect(calls).toEqual([]);
  });

  it('validates arguments against the contract before any handler runs', async () => {
    const { router, calls } = makeRouter();
    const bad: Array<[Parameters<typeof router.invoke>[0], unknown[]]> = [
      ['keys:set', ['openai']], // missing key
      ['keys:set', ['openai', 'short']], // too short to be a key
      ['keys:set', ['openai', 'sk-with space-123456']], // not a printable token
      ['keys:set', ['../etc', 'sk-test-1234567890']], // provider id pattern
      ['keys:set', ['openai', 'sk-test-1234567890', 'extra']],
      ['keys:set', [{ toString: () => 'openai' }, 'sk-test-1234567890']],
      ['keys:delete', []],
      ['keys:delete', [42]],
      ['keys:list', ['unexpected']],
      ['app:open-external', ['x'.repeat(5000)]],
    ];
    for (const [channel, args] of bad) {
      await expect(router.invoke(channel, mainFrame(), args), `${channel} ${JSON.stringify(args)}`).rejects.toThrow(/invalid arguments/);
    }
    expect(calls).toEqual([]);
  });

  it('names the offending argument in the rejection', async () => {
    const { router } = makeRouter();
    await expect(router.invoke('keys:set', mainFrame(), ['openai', 'short'])).rejects.toThrow(/\/1/);
  });
});

describe('urlIsUnder', () => {
  it('needs the same origin and path prefix', () => {
    expect(urlIsUnder('http://127.0.0.1:8765/ui/index.html', UI)).toBe(true);
    expect(urlIsUnder('http://127.0.0.1:8765/ui/', UI)).toBe(true);
    expect(urlIsUnder('http://localhost:8765/ui/', UI)).toBe(false);
    expect(urlIsUnder('http://127.0.0.1:8765/uix/', UI)).toBe(false);
    expect(urlIsUnder('not a url', UI)).toBe(false);
  });
});
