// The admin's and the reviewer's views end to end: a daemon started from a config file with
// a signed team policy (one bundle from the trusted team key, one from a stranger that must be
// refused), two SIEM webhook sinks (one receiving, one unreachable), real traffic from the
// official openai client through the mock-upstream, and Chromium reading the Policy, Cost,
// Latency and Settings views.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../../daemon/mock-upstream/server.js';
import { signBundle } from '../../daemon/policy/bundle/bundle.js';
import { generateSigningKey, loadPrivateKey } from '../../daemon/policy/bundle/signing-key.js';
import { ensureUiBuild, openBrowser, startGateway, uiTestsUnavailable, type Browser, type Gateway } from './harness.js';

const unavailable = uiTestsUnavailable();
if (unavailable && process.env.CI) throw new Error(`UI tests need Chromium in CI: ${unavailable}`);

const team = generateSigningKey();
const teamKey = loadPrivateKey(team.privateKeyPem);
const stranger = loadPrivateKey(generateSigningKey().privateKeyPem);

/** Everything goes to one endpoint; the tenant has a small daily budget so its use shows. */
const POLICY = `version: 7
description: Team routing for the e2e test
endpoints:
  sim-chat: { provider: alpha, model: kagami-sim-chat, price: { input_per_1m: 1000, output_per_1m: 2000 } }
rules:
  - name: local-tenant-to-sim
    when: { tenant: local }
    route_to: sim-chat
default:
  route_to: sim-chat
budgets:
  - { per: tenant, daily_usd: 2, monthly_usd: 100, soft_ratio: 0.8 }
`;

/**
 * A port nothing listens on: deliveries there fail with a connection error. Port 1 (tcpmux),
 * not a port freed a moment ago: the OS hands freed ports out again, and once the gateway itself
 * got that one and answered the deliveries with a 404.
 */
const DEAD_PORT = 1;

describe.skipIf(unavailable !== null)(`Policy, Cost and Latency views with a signed team policy${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let upstream: MockUpstream;
  let gateway: Gateway;
  let browser: Browser;
  let receiver: Server;
  let received = 0;

  /** A local HTTP server on port 0 (answering 200 to every webhook delivery). */
  const listen = async (): Promise<Server> => {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received++;
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return server;
  };

  beforeAll(ensureUiBuild, 120_000);
  beforeEach(async () => {
    upstream = await startMockUpstream({ latencyMs: 2 });
    receiver = await listen();
    gateway = await startGateway({
      configYaml: (dir) => {
        const bundles = join(dir, 'bundles');
        mkdirSync(bundles);
        const sign = (signer: typeof teamKey, version: number) =>
          JSON.stringify(signBundle({ policyText: POLICY.replace('version: 7', `version: ${version}`), version, privateKey: signer.key, keyId: signer.keyId }));
        writeFileSync(join(bundles, 'team-v7.json'), sign(teamKey, 7));
        writeFileSync(join(bundles, 'forged-v8.json'), sign(stranger, 8));
        return [
          'providers:',
          `  - { id: alpha, type: openai, base_url: "${upstream.url}" }`,
          'models:',
          '  - { name: team-chat, provider: alpha, model: kagami-sim-chat, capabilities: { chat: true }, price: { input_per_1m: 1000, output_per_1m: 2000 } }',
          'policy:',
          '  trusted_keys:',
          `    - { name: Security team, public_key: "${team.publicKey}" }`,
          `  source: { dir: "${bundles}", rescan_s: 3600 }`,
          'siem:',
          '  sinks:',
          `    - { id: soc-webhook, type: webhook, url: "http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook" }`,
          `    - { id: backup-webhook, type: webhook, url: "http://127.0.0.1:${DEAD_PORT}/hook" }`,
          '',
        ].join('\n');
      },
    });
    browser = await openBrowser();
  });
  afterEach(async () => {
    await browser?.close();
    await gateway?.close();
    await upstream?.close();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('shows the applied team policy, its signer and rules, and the refused bundle with the reason', async () => {
    const { page } = browser;
    await page.goto(gateway.uiUrl);
    await page.locator('a[data-view="policy"]').click();
    await page.getByTestId('policy-version').waitFor();
    expect(await page.getByTestId('policy-version').textContent()).toBe('v7');
    const text = (await page.locator('main, body').first().textContent()) ?? '';
    expect(text).toContain('Security team');
    expect(text).toContain(team.keyId);
    expect(await page.getByTestId('refused-reason').textContent()).toMatch(/\S/);
    expect(text).toContain(stranger.keyId);
    const document = page.getByTestId('policy-document');
    await document.waitFor();
    expect(await document.textContent()).toContain('local-tenant-to-sim');
    expect(await document.textContent()).toContain('tenant = local');
    await browser.screenshot('policy');
    expect(browser.errors).toEqual([]);
  });

  it('shows live requests with the routing decision, spend per tenant, model and endpoint, budget use, and routing state per endpoint', async () => {
    const { page } = browser;
    await page.goto(gateway.uiUrl);
    await page.getByTestId('stream-state').and(page.locator('.open')).waitFor({ timeout: 10_000 });
    const traces: string[] = [];
    for (const content of ['Summarise the incident report', 'Email jane.doe@example.com the totals', 'Translate: good morning', 'Call +1 415-555-0132 tomorrow']) {
      const { response } = await gateway.openai.chat.completions.create({ model: 'team-chat', messages: [{ role: 'user', content }] }).withResponse();
      traces.push(response.headers.get('x-kagami-trace-id') ?? '');
    }
    const row = page.locator(`tr[data-trace="${traces[1]}"]`);
    await row.waitFor({ timeout: 1000 });
    expect(await row.textContent()).toContain('local-tenant-to-sim');
    expect(await row.textContent()).toContain('EMAIL');
    await row.click();
    const drawer = page.getByTestId('drawer');
    await drawer.waitFor();
    const facts = (await drawer.textContent()) ?? '';
    expect(facts).toContain('local-tenant-to-sim');
    expect(facts).toContain('sim-chat');
    expect(facts).not.toContain('jane.doe@example.com');
    await browser.screenshot('live-drawer-policy');
    await page.getByRole('button', { name: 'Close' }).click();

    await page.locator('a[data-view="cost"]').click();
    await expect.poll(async () => page.getByTestId('cost-total').textContent()).toMatch(/^\$0\.\d+|^\$[1-9]/);
    const budgets = page.getByTestId('budgets-table');
    await budgets.waitFor();
    const daily = budgets.locator('tr', { hasText: 'Daily' });
    expect(await daily.textContent()).toContain('tenant local');
    expect(await daily.textContent()).toContain('$2.00');
    expect(await daily.textContent()).toMatch(/\d+(\.\d)?%/);
    expect(await page.locator('.view').textContent()).toContain('sim-chat');
    await browser.screenshot('cost');

    await page.locator('a[data-view="latency"]').click();
    const routingRow = page.getByTestId('breakers-table').locator('tr[data-endpoint="sim-chat"]');
    await routingRow.waitFor();
    expect(await routingRow.textContent()).toContain('closed');
    expect(await routingRow.textContent()).toMatch(/\d+(\.\d)? ms/);
    await page.locator('.segmented button', { hasText: '1h' }).click();
    await page.locator('table.grid td', { hasText: 'alpha' }).first().waitFor();
    await browser.screenshot('latency-routing');
    expect(browser.errors).toEqual([]);
  });

  it('shows the daemon address and each SIEM sink: delivered, or failing with its error', async () => {
    const { page } = browser;
    await gateway.openai.chat.completions.create({ model: 'team-chat', messages: [{ role: 'user', content: 'audit me' }] });
    await page.goto(gateway.uiUrl);
    await page.locator('a[data-view="settings"]').click();
    const table = page.getByTestId('siem-table');
    const ok = table.locator('tr', { hasText: 'soc-webhook' });
    const failing = table.locator('tr', { hasText: 'backup-webhook' });
    // The outbox delivers on commit; the view polls every 5 s.
    // Cells: sink, state, lag, last delivered, last error.
    await expect.poll(() => ok.locator('td').allTextContents(), { timeout: 15_000 }).toEqual(['soc-webhook (webhook)', 'ok', '0', expect.stringMatching(/\d/), '']);
    expect(received).toBeGreaterThan(0);
    await expect.poll(async () => (await failing.locator('td').allTextContents())[1] ?? '', { timeout: 15_000 }).toMatch(/^retry /);
    const cells = await failing.locator('td').allTextContents();
    expect(Number(cells[2])).toBeGreaterThan(0);
    expect(cells[4]).toMatch(/ECONNREFUSED|refused|connect/i);
    const text = (await page.locator('.view').textContent()) ?? '';
    expect(text).toContain(`${new URL(gateway.daemon.url).origin}/v1`);
    await browser.screenshot('settings');
  });
});
