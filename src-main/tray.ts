// The tray icon: daemon state at a glance (icon dot + tooltip) and quick actions.

import { Menu, Tray, clipboard, nativeImage } from 'electron';
import type { DaemonStatus } from '../shared/ipc.js';
import { TRAY_ICONS } from './tray-icons.js';

export interface TrayActions {
  showWindow(): void;
  restartDaemon(): void;
  quit(): void;
}

const STATE_LABEL: Record<DaemonStatus['state'], string> = {
  stopped: 'Daemon stopped',
  starting: 'Daemon starting…',
  running: 'Daemon running',
  attached: 'Attached to running daemon',
  backoff: 'Daemon crashed, restarting…',
  failed: 'Daemon failed',
};

export function createTray(actions: TrayActions): { update(status: DaemonStatus): void; destroy(): void } {
  const tray = new Tray(nativeImage.createFromDataURL(TRAY_ICONS.warn));
  tray.on('click', () => actions.showWindow());
  const update = (status: DaemonStatus): void => {
    const healthy = status.state === 'running' || status.state === 'attached';
    const icon = healthy ? TRAY_ICONS.ok : status.state === 'starting' ? TRAY_ICONS.warn : TRAY_ICONS.down;
    tray.setImage(nativeImage.createFromDataURL(icon));
    const detail = status.url ? ` — ${status.url}` : '';
    tray.setToolTip(`Kagami: ${STATE_LABEL[status.state]}${detail}`);
    tray.setContextMenu(
      Menu.buildFromTemplate([
        { label: `${STATE_LABEL[status.state]}${detail}`, enabled: false },
        ...(status.lastError ? [{ label: status.lastError.slice(0, 80), enabled: false }] : []),
        { type: 'separator' },
        { label: 'Open Kagami', click: () => actions.showWindow() },
        {
          label: 'Copy OpenAI base URL',
          enabled: status.url !== null,
          click: () => status.url && clipboard.writeText(`${status.url}/v1`),
        },
        { label: 'Restart daemon', click: () => actions.restartDaemon() },
        { type: 'separator' },
        { label: 'Quit Kagami', click: () => actions.quit() },
      ]),
    );
  };
  return { update, destroy: () => tray.destroy() };
}
