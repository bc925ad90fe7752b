// What the tray shows for a daemon state: which icon, the tooltip, and the menu (state lines
// and quick actions). Plain data, no Electron, so it is tested under Node; tray.ts turns it
// into Electron's Tray and Menu.

import type { DaemonStatus } from '../shared/ipc.js';

export interface TrayActions {
  showWindow(): void;
  restartDaemon(): void;
  copyBaseUrl(url: string): void;
  quit(): void;
}

export type TrayMenuItem = { label: string; enabled: boolean; click?: () => void } | { type: 'separator' };

export interface TrayView {
  icon: 'ok' | 'warn' | 'down';
  tooltip: string;
  menu: TrayMenuItem[];
}

const STATE_LABEL: Record<DaemonStatus['state'], string> = {
  stopped: 'Daemon stopped',
  starting: 'Daemon starting…',
  running: 'Daemon running',
  attached: 'Attached to running daemon',
  backoff: 'Daemon crashed, restarting…',
  failed: 'Daemon failed',
};

export function trayView(status: DaemonStatus, actions: TrayActions): TrayView {
  const healthy = status.state === 'running' || status.state === 'attached';
  const detail = status.url ? ` — ${status.url}` : '';
  const retry = status.state === 'backoff' && status.nextRetryAt !== null ? ` (retry at ${new Date(status.nextRetryAt).toLocaleTimeString()})` : '';
  const baseUrl = status.url ? `${status.url}/v1` : null;
  return {
    icon: healthy ? 'ok' : status.state === 'starting' || status.state === 'backoff' ? 'warn' : 'down',
    tooltip: `Kagami: ${STATE_LABEL[status.state]}${detail}`,
    menu: [
      { label: `${STATE_LABEL[status.state]}${detail}${retry}`, enabled: false },
      ...(status.restarts > 0 ? [{ label: `Restarted ${status.restarts}×`, enabled: false }] : []),
      ...(status.lastError ? [{ label: status.lastError.slice(0, 80), enabled: false }] : []),
      { type: 'separator' },
      { label: 'Open Kagami', enabled: true, click: () => actions.showWindow() },
      { label: 'Copy OpenAI base URL', enabled: healthy && baseUrl !== null, click: () => baseUrl && actions.copyBaseUrl(baseUrl) },
      { label: 'Restart daemon', enabled: status.state !== 'starting', click: () => actions.restartDaemon() },
      { type: 'separator' },
      { label: 'Quit Kagami', enabled: true, click: () => actions.quit() },
    ],
  };
}
