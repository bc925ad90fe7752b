// The main-process side of shared/ipc.ts: every invoke is checked before a handler runs.
// 1. the sender: the main frame of our own window, showing one of our own UI origins
//    (a frame the page embeds, or a page the window was navigated to, gets nothing);
// 2. the arguments: validated against the channel's schema (compiled once).
// Plain module (no Electron import) so it is tested under Node with real frames' shapes.

import { Compile, type Validator } from 'typebox/compile';
import { ipcChannels, ipcContract, type IpcArgs, type IpcChannel, type IpcResult } from '../shared/ipc.js';

/** The part of Electron's IpcMainInvokeEvent this module reads. */
export interface InvokeEventLike {
  senderFrame: { url: string; parent: unknown } | null;
}

export type IpcHandlers = {
  [C in IpcChannel]: (...args: IpcArgs<C>) => Promise<IpcResult<C>>;
};

export class IpcRejected extends Error {
  override readonly name = 'IpcRejected';
}

export interface IpcRouter {
  invoke(channel: IpcChannel, event: InvokeEventLike, args: unknown[]): Promise<unknown>;
}

/**
 * @param isTrustedUrl decides whether a frame URL is our UI (exact origin + path prefix);
 *        called per invoke because the daemon's address can change after a restart.
 */
export function createIpcRouter(handlers: IpcHandlers, isTrustedUrl: (url: string) => boolean): IpcRouter {
  const validators = new Map<IpcChannel, Validator>(ipcChannels.map((c) => [c, Compile(ipcContract[c].args)]));
  return {
    async invoke(channel, event, args) {
      const frame = event.senderFrame;
      if (!frame || frame.parent !== null || !isTrustedUrl(frame.url)) {
        throw new IpcRejected(`${channel}: caller is not the Kagami UI`);
      }
      const validator = validators.get(channel);
      if (!validator) throw new IpcRejected(`unknown channel ${String(channel)}`);
      if (!validator.Check(args)) {
        const first = validator.Errors(args)[0];
        throw new IpcRejected(`${channel}: invalid arguments${first ? ` (${first.instancePath || '/'} ${first.message})` : ''}`);
      }
      const handler = handlers[channel] as (...a: unknown[]) => Promise<unknown>;
      return handler(...args);
    },
  };
}

/** URL check for one UI location: same origin and under the path prefix (e.g. /ui/). */
export function urlIsUnder(url: string, base: string): boolean {
  try {
    const u = new URL(url);
    const b = new URL(base);
    return u.origin === b.origin && u.pathname.startsWith(b.pathname);
  } catch {
    return false;
  }
}
