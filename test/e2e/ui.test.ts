// The UI end to end: the real daemon serving /ui, real requests from the official openai
// client through the gateway to the mock-upstream, and Debian's Chromium reading the page.
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deleteKeychainSecret, readKeychainSecret } from '../../daemon/secrets/keychain.js';
import { requireKeychain } from '../support/keychain.js';
import { ensureUiBuild, openBrowser, startGateway, uiTestsUnavailable, type Browser, type Gateway } from './harness.js';

const unavailable = uiTestsUnavailable();
if (unavailable && process.env.CI) throw new Error(`UI tests need Chromium in CI: ${unavailable}`);

/** The part of HTMLCanvasElement read in the page (this file is typed without the DOM lib). */
interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

const CHAT_MODEL = 'kagami-sim-chat';
const EMBED_MODEL = 'kagami-sim-embed';

describe.skipIf(unavailable !== null)(`Kagami UI in Chromium against the real daemon${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let gateway: Gateway;
  let browser: Browser;

  beforeAll(ensureUiBuild, 120_000);
  beforeEach(async () => {
    gateway = await startGateway();
    browser = await openBrowser();
  });
  afterEach(async () => {
    await browser?.close();
    await gateway?.close();
  });

  const chat = async (content: string, model = CHAT_MODEL): Promise<string> => {
    const { response } = await gateway.openai.chat.completions.create({ model, messages: [{ role: 'user', content }] }).withResponse();
    return response.headers.get('x-kagami-trace-id') ?? '';
  };

  /** Opens the sign-in link and waits until the live stream is connected. */
  const signIn = async (): Promise<void> => {
    await browser.page.goto(gateway.uiUrl);
    await browser.page.getByTestId('stream-state').and(browser.page.locator('.open')).waitFor({ timeout: 10_000 });
  };

  it('signs in with the printed link, forgets the token from the address bar, and sets no cookie', async () => {
    await signIn();
    const { page } = browser;
    expect(page.url()).not.toContain(gateway.daemon.adminToken);
    expect(await page.evaluate('document.cookie')).toBe('');
    expect(await browser.context.cookies()).toEqual([]);
    expect(await page.evaluate("sessionStorage.getItem('kagami.adminToken')")).toBe(gateway.daemon.adminToken);
    // A reload keeps the session (sessionStorage), without the token in the URL.
    await page.reload();
    await page.getByTestId('stream-state').and(page.locator('.open')).waitFor();
    expect(browser.errors).toEqual([]);
  });

  it('asks for the admin token without one, refuses a wrong one and accepts the right one', async () => {
    const { page } = browser;
    await page.goto(`${gateway.daemon.url}/ui`);
    await page.getByTestId('token-input').fill('kagami-wrong-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('The daemon rejected this token.').waitFor();
    await browser.screenshot('login-refused');
    await page.getByTestId('token-input').fill(gateway.daemon.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('stream-state').and(page.locator('.open')).waitFor();
  });

  it('shows a new request in the live view within 1 s of its response', async () => {
    await signIn();
    const { page } = browser;
    for (let i = 0; i < 3; i++) {
      const traceId = await chat(`hello ${i}`);
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      const row = page.locator(`tr[data-trace="${traceId}"]`);
      await row.waitFor({ timeout: 1000 });
      await expect.poll(() => row.textContent()).toContain(CHAT_MODEL);
      expect(await row.textContent()).toContain('200');
    }
    await browser.screenshot('live');
  });

  it('opens with the last minutes of traffic from the audit trail, then adds live rows once', async () => {
    const before = [await chat('sent before the UI opened 1'), await chat('sent before the UI opened 2')];
    await signIn();
    const { page } = browser;
    for (const trace of before) await page.locator(`tr[data-trace="${trace}"]`).waitFor({ timeout: 2000 });
    const after = await chat('sent after');
    await page.locator(`tr[data-trace="${after}"]`).waitFor({ timeout: 1000 });
    const rows = page.locator('[data-testid="live-table"] tbody tr[data-trace]');
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-trace')))).toEqual([after, ...before.reverse()]);
  });

  it('filters the live view by text and by status, and pauses it', async () => {
    await signIn();
    const { page } = browser;
    const chatTrace = await chat('filter me');
    const embed = await gateway.openai.embeddings.create({ model: EMBED_MODEL, input: 'vector please' }).withResponse();
    const embedTrace = embed.response.headers.get('x-kagami-trace-id') ?? '';
    const missing = await gateway.openai.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }).withResponse().catch((e: { status: number; headers: Headers }) => e);
    expect((missing as { status: number }).status).toBe(404);
    const missingTrace = (missing as { headers: Headers }).headers.get('x-kagami-trace-id') ?? '';
    const rows = page.locator('[data-testid="live-table"] tbody tr[data-trace]');
    for (const trace of [chatTrace, embedTrace, missingTrace]) await page.locator(`tr[data-trace="${trace}"]`).waitFor({ timeout: 2000 });

    await page.getByTestId('live-filter').fill('embed');
    await expect.poll(() => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-trace')))).toEqual([embedTrace]);

    await page.getByTestId('live-filter').fill('');
    await page.getByTestId('status-filter').selectOption('error');
    await expect.poll(() => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-trace')))).toEqual([missingTrace]);
    await browser.screenshot('live-filtered-errors');

    await page.getByTestId('status-filter').selectOption('all');
    await expect.poll(() => rows.count()).toBe(3);
    await page.getByTestId('pause').click();
    const pausedTrace = await chat('arrives while paused');
    await page.getByText('new while paused').waitFor();
    expect(await page.locator(`tr[data-trace="${pausedTrace}"]`).count()).toBe(0);
    await page.getByTestId('pause').click();
    await page.locator(`tr[data-trace="${pausedTrace}"]`).waitFor({ timeout: 1000 });
  });

  it('opens the detail drawer with the trace id and the routing facts', async () => {
    await signIn();
    const { page } = browser;
    const traceId = await chat('show me the route');
    await page.locator(`tr[data-trace="${traceId}"]`).click();
    const drawer = page.getByTestId('drawer');
    await drawer.waitFor();
    expect(await page.getByTestId('drawer-trace').textContent()).toBe(traceId);
    expect(await drawer.textContent()).toContain('Routing decision');
    expect(await drawer.textContent()).toContain(CHAT_MODEL);
    await browser.screenshot('drawer');
  });

  it('keeps the table and charts smooth under a burst and draws them', async () => {
    await signIn();
    const { page } = browser;
    const oldest = await chat('before the burst');
    await page.locator(`tr[data-trace="${oldest}"]`).waitFor({ timeout: 1000 });
    // 200 requests in flight at once: the live view batches renders instead of one per event,
    // and renders only the rows in view.
    await Promise.all(Array.from({ length: 200 }, (_, i) => chat(`burst ${i}`)));
    await expect.poll(() => page.getByTestId('shown').textContent()).toBe('201');
    const rendered = page.locator('[data-testid="live-table"] tbody tr[data-trace]');
    expect(await rendered.count()).toBeLessThan(100);
    expect(await page.locator(`tr[data-trace="${oldest}"]`).count()).toBe(0);
    // Scrolled to the end, the oldest row is there, in its place.
    await page.locator('.live-view .table-wrap').evaluate((el: { scrollTop: number; scrollHeight: number }) => {
      el.scrollTop = el.scrollHeight;
    });
    await page.locator(`tr[data-trace="${oldest}"]`).waitFor({ timeout: 1000 });
    expect(await rendered.last().getAttribute('data-trace')).toBe(oldest);

    await page.locator('a[data-view="latency"]').click();
    const canvas = page.locator('canvas').first();
    await canvas.waitFor();
    // The overall chart has drawn lines: count non-background pixels of the p50/p95 colors.
    await expect
      .poll(() =>
        canvas.evaluate((el: CanvasLike) => {
          const ctx = el.getContext('2d');
          if (!ctx) return 0;
          const { data } = ctx.getImageData(0, 0, el.width, el.height);
          let colored = 0;
          for (let i = 0; i < data.length; i += 4) if ((data[i + 3] ?? 0) > 0 && Math.abs((data[i] ?? 0) - (data[i + 2] ?? 0)) > 60) colored++;
          return colored;
        }),
      )
      .toBeGreaterThan(50);
    await browser.screenshot('latency');
    expect(browser.errors.filter((e) => !e.includes('404'))).toEqual([]);
  });

  it('switches to Japanese labels and the light theme', async () => {
    await signIn();
    const { page } = browser;
    await page.getByTestId('lang-switch').click();
    await page.locator('a[data-view="redaction"]', { hasText: 'マスキング記録' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('ja');
    await page.getByTestId('theme-switch').click();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('light');
    await chat('こんにちは');
    await page.locator('[data-testid="live-table"] tbody tr[data-trace]').first().waitFor();
    await browser.screenshot('live-ja-light');
  });

  it('shows masked previews in the redaction log and never the raw value', async () => {
    await signIn();
    const { page } = browser;
    const email = 'jane.doe@example.com';
    const phone = '+1 415-555-0132';
    const traceId = await chat(`Please email ${email} or call ${phone} about the invoice.`);
    await page.locator(`tr[data-trace="${traceId}"]`).waitFor({ timeout: 1000 });
    await page.locator(`tr[data-trace="${traceId}"]`).click();
    await page.getByTestId('drawer').waitFor();
    expect(await page.content()).not.toContain(email);

    await page.locator('a[data-view="redaction"]').click();
    const table = page.getByTestId('redaction-table');
    await table.locator('tr', { hasText: traceId }).first().waitFor({ timeout: 5000 });
    const text = (await table.textContent()) ?? '';
    expect(text).toContain('EMAIL');
    expect(await table.locator('.preview mark').count()).toBeGreaterThan(0);
    await page.getByTestId('entity-filter').selectOption('EMAIL');
    await expect.poll(async () => (await table.locator('tbody tr').allTextContents()).every((row) => row.includes('EMAIL'))).toBe(true);
    await browser.screenshot('redaction');

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export CSV' }).click();
    const csv = readFileSync((await (await download).path()) ?? '', 'utf8');
    expect(csv.split('\r\n')[0]).toBe('time,trace_id,entity_type,detector,score,action,location,start,end,preview');
    expect(csv).toContain(traceId);

    const ndjsonDownload = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export NDJSON' }).click();
    const ndjson = readFileSync((await (await ndjsonDownload).path()) ?? '', 'utf8');
    const records = ndjson.trimEnd().split('\n').map((line) => JSON.parse(line) as { trace_id: string; entity_type: string; preview: string | null });
    expect(records.some((r) => r.trace_id === traceId && r.entity_type === 'EMAIL')).toBe(true);

    for (const raw of [email, 'jane.doe', '415-555-0132', '555-0132']) {
      expect(await page.content(), raw).not.toContain(raw);
      expect(csv, raw).not.toContain(raw);
      expect(ndjson, raw).not.toContain(raw);
    }

    // Filter by user: the request's own user keeps the row, another user empties the table.
    const rows = table.locator('tbody tr');
    await page.getByRole('searchbox', { name: 'User' }).fill('someone-else');
    await expect.poll(() => rows.count()).toBe(0);
    await page.getByRole('searchbox', { name: 'User' }).fill(userInfo().username);
    await table.locator('tr', { hasText: traceId }).first().waitFor();
  });

  it('adds, tests, replaces and deletes a provider key in the OS keychain, showing only fingerprint and last 4', async (ctx) => {
    requireKeychain(ctx);
    const provider = 'kagami-simulator';
    const account = `provider:${provider}`;
    const first = 'sk-e2e-first-0123456789abcdefWXYZ';
    const second = '  sk-e2e-second-9876543210fedcbaQRST\n';
    try {
      await signIn();
      const { page } = browser;
      await page.locator('a[data-view="keys"]').click();
      const row = page.locator(`tr[data-provider="${provider}"]`);
      await row.waitFor();
      expect(await row.textContent()).toContain('Not set');

      await row.getByLabel(`API key ${provider}`).fill(first);
      await row.getByRole('button', { name: 'Save key' }).click();
      await row.getByText('…WXYZ').waitFor();
      expect(readKeychainSecret(account)).toBe(first);
      const firstFingerprint = await row.getByTestId('fingerprint').textContent();
      expect(firstFingerprint).toMatch(/^[0-9a-f]{12}$/);
      expect(await row.getByLabel(`API key ${provider}`).inputValue()).toBe('');

      // The simulator needs no key; the daemon calls it and says the config does not use the stored one.
      await row.getByRole('button', { name: 'Test' }).click();
      await row.getByTestId('key-note').and(page.getByText(/Key works/)).waitFor();
      expect(await row.getByTestId('key-note').textContent()).toContain(`api_key: { keychain: "${account}" }`);
      await browser.screenshot('keys');

      // Replacing trims what was pasted around the key.
      await row.getByLabel(`API key ${provider}`).fill(second);
      await row.getByRole('button', { name: 'Replace' }).click();
      await row.getByText('…QRST').waitFor();
      expect(readKeychainSecret(account)).toBe(second.trim());
      expect(await row.getByTestId('fingerprint').textContent()).not.toBe(firstFingerprint);

      page.once('dialog', (dialog) => void dialog.accept());
      await row.getByRole('button', { name: 'Delete' }).click();
      await row.getByText('Not set').waitFor();
      expect(readKeychainSecret(account)).toBeNull();

      for (const key of [first, second.trim()]) expect(await page.content()).not.toContain(key.slice(0, -4));
      expect(browser.errors).toEqual([]);
    } finally {
      deleteKeychainSecret(account);
    }
  });
});
