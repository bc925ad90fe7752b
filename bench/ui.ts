// UI under load: the real daemon on its simulator, the web UI in Debian's Chromium, and a steady
// 200 requests/s of chat traffic for 10 s through the official openai client. While it runs,
// the page records the interval between animation frames and the main thread's long tasks
// (> 50 ms), once on the Live view (table) and once on the Latency view (charts). Prints
// figures; "smooth" means frame intervals near 16.7 ms and few long tasks.
// `npm run bench -- ui`
import { ensureUiBuild, openBrowser, startGateway, uiTestsUnavailable } from '../test/e2e/harness.js';

const RATE = 200;
const SECONDS = 10;

/** In the page: frame intervals and long tasks until `stop()` is called (window.__kagamiBench). */
const RECORDER = `(() => {
  const frames = []; const longTasks = []; let last = performance.now(); let running = true;
  const tick = (t) => { frames.push(t - last); last = t; if (running) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  const observer = new PerformanceObserver((list) => { for (const e of list.getEntries()) longTasks.push(e.duration); });
  observer.observe({ type: 'longtask', buffered: false });
  window.__kagamiBench = { stop: () => { running = false; observer.disconnect(); return { frames, longTasks }; } };
})()`;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

export async function run(): Promise<void> {
  const unavailable = uiTestsUnavailable();
  if (unavailable) {
    console.log(`skipped: ${unavailable}`);
    return;
  }
  await ensureUiBuild();
  const gateway = await startGateway();
  const browser = await openBrowser();
  try {
    const { page } = browser;
    await page.goto(gateway.uiUrl);
    await page.getByTestId('stream-state').and(page.locator('.open')).waitFor({ timeout: 10_000 });

    for (const view of ['live', 'latency'] as const) {
      await page.locator(`a[data-view="${view}"]`).click();
      await page.evaluate(RECORDER);
      let sent = 0;
      let failed = 0;
      const inFlight: Promise<unknown>[] = [];
      const started = performance.now();
      // Paced in 10 ms slots (2 requests each) so the load is steady, not one burst per second.
      for (let slot = 0; slot < (SECONDS * 1000) / 10; slot++) {
        const due = started + slot * 10;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        for (let i = 0; i < RATE / 100; i++) {
          sent++;
          inFlight.push(
            gateway.openai.chat.completions.create({ model: 'kagami-sim-chat', messages: [{ role: 'user', content: `load ${sent}` }] }).catch(() => {
              failed++;
            }),
          );
        }
      }
      await Promise.all(inFlight);
      const elapsed = (performance.now() - started) / 1000;
      const { frames, longTasks } = (await page.evaluate('window.__kagamiBench.stop()')) as { frames: number[]; longTasks: number[] };
      const sorted = frames.slice(1).sort((a, b) => a - b);
      const rows = await page.locator('[data-testid="live-table"] tbody tr[data-trace]').count();
      console.log(
        [
          `${view.padEnd(8)} ${sent} requests in ${elapsed.toFixed(1)} s (${(sent / elapsed).toFixed(0)}/s, ${failed} failed)`,
          `frames ${sorted.length} (${(sorted.length / elapsed).toFixed(0)} fps)`,
          `interval p50 ${quantile(sorted, 0.5).toFixed(1)} ms p95 ${quantile(sorted, 0.95).toFixed(1)} ms max ${(sorted.at(-1) ?? NaN).toFixed(1)} ms`,
          `long tasks ${longTasks.length} (${longTasks.reduce((a, b) => a + b, 0).toFixed(0)} ms)`,
          view === 'live' ? `rows matched ${await page.getByTestId('shown').textContent()}, in the DOM ${rows}` : '',
        ]
          .filter(Boolean)
          .join(' · '),
      );
    }
  } finally {
    await browser.close();
    await gateway.close();
  }
}
