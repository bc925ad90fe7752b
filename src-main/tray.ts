// The tray icon: daemon state at a glance (icon + tooltip) and quick actions. What it shows
// is decided in tray-menu.ts (tested under Node); this file only hands it to Electron.

import { Menu, Tray, clipboard, nativeImage } from 'electron';
import type { DaemonStatus } from '../shared/ipc.js';
import { TRAY_ICONS } from './tray-icons.js';
import { trayView, type TrayActions } from './tray-menu.js';

export function createTray(actions: Omit<TrayActions, 'copyBaseUrl'>): { update(status: DaemonStatus): void; destroy(): void } {
  const tray = new Tray(nativeImage.createFromDataURL(TRAY_ICONS.warn));
  tray.on('click', () => actions.showWindow());
  const update = (status: DaemonStatus): void => {
    const view = trayView(status, { ...actions, copyBaseUrl: (url) => clipboard.writeText(url) });
    tray.setImage(nativeImage.createFromDataURL(TRAY_ICONS[view.icon]));
    tray.setToolTip(view.tooltip);
    tray.setContextMenu(Menu.buildFromTemplate(view.menu));
  };
  return { update, destroy: () => tray.destroy() };
}
