// Electron main: thin wiring of plain modules. It supervises the local daemon, shows its
// state in the tray, keeps provider keys in the OS keychain, and opens one window on the
// daemon's own web UI (/ui), so the desktop and the browser run the very same UI and the
// renderer talks to the daemon's admin API same-origin. Security: sandboxed, isolated
// renderer; CSP on every response; navigation, new windows, webviews and permissions denied.

import { BrowserWindow, app, ipcMain, session, shell } from 'electron';
import { fileURLToPath } from 'node:url';
import { ipcChannels, type DaemonStatus } from '../shared/ipc.js';
import { verifyDaemonIdentity } from './daemon-identity.js';
import { resolveDaemonLocation, readAdminToken } from './daemon-location.js';
import { DaemonSupervisor } from './daemon-supervisor.js';
import { createIpcRouter, urlIsUnder } from './ipc-router.js';
import { createProviderKeyStore } from './provider-keys.js';
import { createTray } from './tray.js';
import { contentSecurityPolicy, guardWebContents, isAllowedExternalUrl } from './window-security.js';

const devServerUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;
const location = resolveDaemonLocation(app.getAppPath());
const supervisor = new DaemonSupervisor({
  url: location.url,
  command: location.command,
  args: location.args,
  cwd: app.getAppPath(),
  onOutput: (line) => console.log(`[daemon] ${line}`),
});
const keys = createProviderKeyStore();

/** Where the UI lives: the daemon's /ui, or electron-vite's dev server (which proxies /admin). */
const uiBase = (): string => (devServerUrl ? new URL('/', devServerUrl).href : `${location.url}/ui/`);
const isHealthy = (s: DaemonStatus): boolean => s.state === 'running' || s.state === 'attached';

let window: BrowserWindow | null = null;
let quitting = false;

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1360,
    height: 860,
    minWidth: 960,
    minHeight: 600,
    title: 'Kagami',
    backgroundColor: '#0b0f14',
    show: false,
    webPreferences: {
      preload: fileURLToPath(new URL('../preload/preload.cjs', import.meta.url)),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  win.on('close', (event) => {
    // Closing the window keeps the gateway running in the tray.
    if (!quitting) {
      event.preventDefault();
      win.hide();
    }
  });
  void loadUi(win);
  return win;
}

/**
 * The admin token, once whatever answers on the daemon's address has proved it holds it; null
 * when the token cannot be read (the UI then asks for it). Throws for an impostor.
 */
async function verifiedToken(): Promise<string | null> {
  const token = await readAdminToken(location.dataDir);
  if (token === null) return null;
  if (!(await verifyDaemonIdentity(location.url, token))) {
    throw new Error(`Another program answers on ${location.url}: it is not the Kagami daemon that keeps its data in ${location.dataDir}. Stop it, or point KAGAMI_URL / KAGAMI_DATA_DIR at your daemon.`);
  }
  return token;
}

function showStatusPage(win: BrowserWindow, state: string, detail: string | null): Promise<void> {
  const html = `<!doctype html><meta charset="utf-8"><title>Kagami</title><body style="font:14px system-ui;background:#0b0f14;color:#cbd5e1;padding:40px">Kagami daemon: <b>${state}</b>${detail ? `<p>${detail.replace(/[<&]/g, '')}</p>` : ''}</body>`;
  return win.loadURL(`data:text/html;charset=utf-8,${encodeURIComponent(html)}`);
}

async function loadUi(win: BrowserWindow): Promise<void> {
  const s = supervisor.status();
  if (!isHealthy(s)) return showStatusPage(win, s.state, s.lastError);
  try {
    await verifiedToken();
  } catch (error) {
    return showStatusPage(win, 'not verified', (error as Error).message);
  }
  await win.loadURL(uiBase());
}

function registerIpc(): void {
  const router = createIpcRouter(
    {
      'daemon:connection': async () => {
        if (!isHealthy(supervisor.status())) return null;
        const token = await verifiedToken().catch(() => null);
        if (!token) return null;
        return { url: devServerUrl ? new URL(devServerUrl).origin : location.url, token };
      },
      'daemon:status': async () => supervisor.status(),
      'daemon:restart': async () => {
        await supervisor.restart();
        return supervisor.status();
      },
      'keys:list': () => keys.list(),
      'keys:set': (provider, key) => keys.set(provider, key),
      'keys:delete': (provider) => keys.delete(provider),
      'app:open-external': async (url) => {
        if (!isAllowedExternalUrl(url)) return false;
        await shell.openExternal(url);
        return true;
      },
    },
    (url) => urlIsUnder(url, uiBase()),
  );
  for (const channel of ipcChannels) {
    ipcMain.handle(channel, (event, ...args: unknown[]) => router.invoke(channel, event, args));
  }
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.enableSandbox();
  app.on('second-instance', () => window?.show());
  app.on('web-contents-created', (_event, contents) =>
    guardWebContents(contents, { isUiUrl: (url) => urlIsUnder(url, uiBase()), openExternal: (url) => void shell.openExternal(url) }),
  );
  app.on('window-all-closed', () => {
    /* stay in the tray */
  });
  app.on('before-quit', (event) => {
    if (quitting) return;
    quitting = true;
    event.preventDefault();
    void supervisor.stop().finally(() => app.quit());
  });

  void app.whenReady().then(async () => {
    const csp = contentSecurityPolicy({ dev: devServerUrl !== undefined });
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } });
    });
    session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
    registerIpc();

    const tray = createTray({
      showWindow: () => {
        window ??= createWindow();
        window.show();
        window.focus();
      },
      restartDaemon: () => void supervisor.restart(),
      quit: () => app.quit(),
    });
    let wasHealthy = false;
    supervisor.on('status', (status) => {
      tray.update(status);
      const healthy = isHealthy(status);
      if (window && healthy !== wasHealthy) void loadUi(window);
      wasHealthy = healthy;
    });
    tray.update(supervisor.status());
    window = createWindow();
    await supervisor.start();
  });
}
