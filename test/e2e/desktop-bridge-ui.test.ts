// The renderer as it runs in the desktop window. Electron cannot run on CI machines, so the
// page gets, before any of its scripts, a `window.kagami` with exactly the functions the
// preload exposes (shared/ipc.ts), answering as Electron main would and recording every call.
// Then the real daemon and Chromium: the UI must take its connection from the bridge, write
// keys only through it (never the admin API), and show the supervisor's state.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bridgeMethodName, ipcChannels, type DaemonStatus } from '../../shared/ipc.js';
import { ensureUiBuild, openBrowser, startGateway, uiTestsUnavailable, type Browser, type Gateway } from './harness.js';

const unavailable = uiTestsUnavailable();
if (unavailable && process.env.CI) throw new Error(`UI tests need Chromium in CI: ${unavailable}`);

interface BridgeSetup {
  /** What daemon:connection answers (null: main cannot read the admin token). */
  token: string | null;
  status: DaemonStatus;
  methods: string[];
}

/** Runs in the page before its scripts: a stand-in for Electron main behind the preload's functions. */
function installBridge(setup: BridgeSetup): void {
  // This file is typed without the DOM lib; in the page, globalThis is the window.
  const { origin } = (globalThis as unknown as { location: { origin: string } }).location;
  const calls: Array<[string, unknown[]]> = [];
  const keys: Array<{ provider: string; account: string; fingerprint: string; last4: string }> = [];
  const answers: Record<string, (...args: unknown[]) => unknown> = {
    daemonConnection: () => (setup.token === null ? null : { url: origin, token: setup.token }),
    daemonStatus: () => setup.status,
    daemonRestart: () => ({ ...setup.status, restarts: setup.status.restarts + 1 }),
    keysList: () => keys.slice(),
    keysSet: (provider, key) => {
      const info = { provider: String(provider), account: `provider:${String(provider)}`, fingerprint: '0123456789ab', last4: String(key).slice(-4) };
      keys.splice(0, keys.length, ...keys.filter((k) => k.provider !== provider), info);
      return info;
    },
    keysDelete: (provider) => {
      const before = keys.length;
      keys.splice(0, keys.length, ...keys.filter((k) => k.provider !== provider));
      return keys.length < before;
    },
    appOpenExternal: () => false,
  };
  const bridge = Object.fromEntries(
    setup.methods.map((name) => [
      name,
      (...args: unknown[]) => {
        calls.push([name, args]);
        return Promise.resolve(answers[name]?.(...args));
      },
    ]),
  );
  Object.defineProperty(globalThis, 'kagami', { value: Object.freeze(bridge) });
  Object.defineProperty(globalThis, '__bridgeCalls', { value: calls });
}

describe.skipIf(unavailable !== null)(`the UI in the desktop window (preload bridge)${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let gateway: Gateway;
  let browser: Browser;
  const methods = ipcChannels.map((c) => bridgeMethodName(c));
  const running = (restarts = 0): DaemonStatus => ({ state: 'running', url: null, pid: 4242, restarts, nextRetryAt: null, lastError: null });

  beforeAll(ensureUiBuild, 120_000);
  beforeEach(async () => {
    gateway = await startGateway();
    browser = await openBrowser();
  });
  afterEach(async () => {
    await browser?.close();
    await gateway?.close();
  });

  const calls = (): Promise<Array<[string, unknown[]]>> => browser.page.evaluate('window.__bridgeCalls');

  it('connects with what main hands over, writes keys only through the bridge, and shows the supervisor', async () => {
    const { page } = browser;
    await page.addInitScript(installBridge, { token: gateway.daemon.adminToken, status: { ...running(2), url: gateway.daemon.url }, methods });
    const adminKeyRequests: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname.startsWith('/admin/provider-keys') && request.method() !== 'GET') adminKeyRequests.push(request.url());
    });
    await page.goto(`${gateway.daemon.url}/ui/`);
    await page.getByTestId('stream-state').and(page.locator('.open')).waitFor({ timeout: 10_000 });
    // No sign-in form and no token in the tab's storage: the bridge is the source.
    expect(await page.evaluate("sessionStorage.getItem('kagami.adminToken')")).toBeNull();
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);

    await page.locator('a[data-view="keys"]').click();
    await page.getByText("The desktop app writes them to this computer's keychain").waitFor();
    const row = page.locator('tr[data-provider="kagami-simulator"]');
    await row.getByLabel('API key kagami-simulator').fill(' sk-desktop-0123456789LAST\n');
    await row.getByRole('button', { name: 'Save key' }).click();
    await row.getByText('…LAST').waitFor();
    expect((await calls()).filter(([name]) => name === 'keysSet')).toEqual([['keysSet', ['kagami-simulator', 'sk-desktop-0123456789LAST']]]);
    // Requests use the key after a restart: the desktop offers one right there.
    await row.getByRole('button', { name: 'Restart the daemon now' }).click();
    await row.getByText('Daemon restarted').waitFor();
    expect((await calls()).filter(([name]) => name === 'daemonRestart')).toHaveLength(1);
    // Test still asks the daemon (it makes the call); writing never did.
    await row.getByRole('button', { name: 'Test' }).click();
    await row.getByTestId('key-note').waitFor();
    expect(adminKeyRequests.every((url) => url.endsWith('/test'))).toBe(true);

    await page.locator('a[data-view="settings"]').click();
    const settings = page.locator('.view');
    await settings.getByText('Restarts').waitFor();
    expect(await settings.textContent()).toContain('running');
    await page.getByRole('button', { name: 'Restart daemon' }).click();
    await expect.poll(async () => (await calls()).filter(([name]) => name === 'daemonRestart').length).toBe(2);
    expect(browser.errors).toEqual([]);
  });

  it('asks for the admin token when the daemon runs but main cannot read its token', async () => {
    const { page } = browser;
    await page.addInitScript(installBridge, { token: null, status: { ...running(), url: gateway.daemon.url }, methods });
    await page.goto(`${gateway.daemon.url}/ui/`);
    await page.getByTestId('token-input').fill(gateway.daemon.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('stream-state').and(page.locator('.open')).waitFor({ timeout: 10_000 });
  });
});
