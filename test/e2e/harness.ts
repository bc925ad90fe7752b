// What every UI test needs: the real daemon (`kagami start`'s startDaemon, embedded config
// with the mock-upstream simulator, a fresh data dir, port 0), the official openai client
// with the daemon's first virtual key, and Debian's Chromium driven by playwright-core with a
// fresh profile. Screenshots go to test-results/e2e/ (gitignored): look at them.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startDaemon, type RunningDaemon } from '../../daemon/cli/start.js';
import { forgetCheckpointKey } from '../daemon/audit/trail-db.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = fileURLToPath(new URL('../../test-results/e2e/', import.meta.url));
const UI_BUILD = fileURLToPath(new URL('../../dist/ui/index.html', import.meta.url));
const RENDERER_SRC = fileURLToPath(new URL('../../src-renderer/', import.meta.url));

/** Why UI tests cannot run here (null when they can); CI must have everything. */
export function uiTestsUnavailable(): string | null {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
  return null;
}

/** Newest modification time under a folder (ms). */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const uiBuildIsFresh = (): boolean => existsSync(UI_BUILD) && statSync(UI_BUILD).mtimeMs >= newestMtime(RENDERER_SRC);
/** Held (a directory: mkdir is atomic) while one test file rebuilds, so parallel files never build over each other. */
const UI_BUILD_LOCK = fileURLToPath(new URL('../../dist/.ui-build.lock', import.meta.url));

/** The web build the daemon serves; (re)built here when missing or older than src-renderer/. */
export async function ensureUiBuild(): Promise<void> {
  if (uiBuildIsFresh()) return;
  mkdirSync(dirname(UI_BUILD_LOCK), { recursive: true });
  for (;;) {
    try {
      mkdirSync(UI_BUILD_LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // Another file is building; a lock older than a build can take is left over from a crash.
      const held = statSync(UI_BUILD_LOCK, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 120_000) rmSync(UI_BUILD_LOCK, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    if (uiBuildIsFresh()) return;
    const { build } = await import('vite');
    await build({ configFile: fileURLToPath(new URL('../../vite.ui.config.ts', import.meta.url)), logLevel: 'warn' });
  } finally {
    rmSync(UI_BUILD_LOCK, { recursive: true, force: true });
  }
}

export interface Gateway {
  daemon: RunningDaemon;
  openai: OpenAI;
  /** Sign-in link as `kagami start` prints it. */
  uiUrl: string;
  close(): Promise<void>;
}

/**
 * The daemon on embedded defaults (its in-process simulator), or on a config file written
 * from `configYaml` into the test's own folder (which it may use for policies and bundles).
 */
export async function startGateway(options: { configYaml?: (dir: string) => string } = {}): Promise<Gateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kagami-e2e-'));
  let configFile: string | null = null;
  if (options.configYaml) {
    configFile = join(dataDir, 'kagami.yaml');
    writeFileSync(configFile, options.configYaml(dataDir));
  }
  const daemon = await startDaemon({ configFile, overrides: { port: 0, data_dir: join(dataDir, 'data') } });
  if (!daemon.firstKey) throw new Error('a fresh data dir must yield a first virtual key');
  return {
    daemon,
    openai: new OpenAI({ baseURL: `${daemon.url}/v1`, apiKey: daemon.firstKey, maxRetries: 0 }),
    uiUrl: `${daemon.url}/ui/#token=${daemon.adminToken}`,
    close: async () => {
      await daemon.close();
      forgetCheckpointKey(join(dataDir, 'data'));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far (a clean UI has none). */
  errors: string[];
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function openBrowser(options: { colorScheme?: 'dark' | 'light'; locale?: string } = {}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'kagami-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1,
    colorScheme: options.colorScheme ?? 'dark',
    locale: options.locale ?? 'en-US',
    acceptDownloads: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    context,
    page,
    errors,
    async screenshot(name) {
      const path = join(SCREENSHOTS, `${name}.png`);
      await page.screenshot({ path });
      return path;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
