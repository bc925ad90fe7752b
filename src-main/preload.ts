// The bridge: window.kagami gets one function per entry of shared/ipc.ts and nothing else
// (no ipcRenderer, no process, no event objects). Built as CommonJS because sandboxed
// preloads cannot load ES modules.

import { contextBridge, ipcRenderer } from 'electron';
import { bridgeMethodName, ipcChannels } from '../shared/ipc.js';

const bridge = Object.fromEntries(
  ipcChannels.map((channel) => [bridgeMethodName(channel), (...args: unknown[]) => ipcRenderer.invoke(channel, ...args)]),
);

contextBridge.exposeInMainWorld('kagami', Object.freeze(bridge));
