import { describe, expect, it } from 'vitest';
import type { DaemonStatus } from '../../shared/ipc.js';
import { trayView, type TrayMenuItem } from '../../src-main/tray-menu.js';

const status = (patch: Partial<DaemonStatus>): DaemonStatus => ({
  state: 'running',
  url: 'http://127.0.0.1:8765',
  pid: 4242,
  restarts: 0,
  nextRetryAt: null,
  lastError: null,
  ...patch,
});

function record() {
  const calls: string[] = [];
  const actions = {
    showWindow: () => calls.push('show'),
    restartDaemon: () => calls.push('restart'),
    copyBaseUrl: (url: string) => calls.push(`copy ${url}`),
    quit: () => calls.push('quit'),
  };
  return { calls, actions };
}

const item = (menu: TrayMenuItem[], label: string) => {
  const found = menu.find((m): m is Extract<TrayMenuItem, { label: string }> => 'label' in m && m.label.startsWith(label));
  if (!found) throw new Error(`no menu item "${label}"`);
  return found;
};

describe('trayView', () => {
  it('shows a healthy daemon with its address, and the quick actions work', () => {
    const { calls, actions } = record();
    const view = trayView(status({}), actions);
    expect(view.icon).toBe('ok');
    expect(view.tooltip).toBe('Kagami: Daemon running — http://127.0.0.1:8765');
    item(view.menu, 'Open Kagami').click?.();
    item(view.menu, 'Copy OpenAI base URL').click?.();
    item(view.menu, 'Restart daemon').click?.();
    item(view.menu, 'Quit Kagami').click?.();
    expect(calls).toEqual(['show', 'copy http://127.0.0.1:8765/v1', 'restart', 'quit']);
  });

  it('shows a crashed daemon backing off: warning icon, restarts, the error, no base URL to copy', () => {
    const { actions } = record();
    const view = trayView(status({ state: 'backoff', pid: null, restarts: 3, nextRetryAt: Date.now() + 4000, lastError: 'daemon exited with code 1' }), actions);
    expect(view.icon).toBe('warn');
    expect(item(view.menu, 'Daemon crashed, restarting…').label).toMatch(/retry at/);
    expect(item(view.menu, 'Restarted 3×').enabled).toBe(false);
    expect(item(view.menu, 'daemon exited with code 1').enabled).toBe(false);
    expect(item(view.menu, 'Copy OpenAI base URL').enabled).toBe(false);
    expect(item(view.menu, 'Restart daemon').enabled).toBe(true);
  });

  it('marks a failed or stopped daemon as down and keeps Open and Quit available', () => {
    const { actions } = record();
    for (const state of ['failed', 'stopped'] as const) {
      const view = trayView(status({ state, pid: null }), actions);
      expect(view.icon).toBe('down');
      expect(item(view.menu, 'Open Kagami').enabled).toBe(true);
      expect(item(view.menu, 'Quit Kagami').enabled).toBe(true);
    }
    expect(item(trayView(status({ state: 'starting' }), actions).menu, 'Restart daemon').enabled).toBe(false);
  });
});
