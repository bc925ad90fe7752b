// The renderer ↔ Electron main contract: one entry per channel, its argument tuple and its
// result, as typebox schemas. The preload exposes exactly these as window.kagami.<name>(…);
// main validates every call's arguments (and the calling frame) against the same schemas.
// Secrets only ever travel renderer → main (keys:set); nothing here returns one.

import { Type, type Static, type TSchema } from 'typebox';
import { ProviderId, ProviderKeyInfo, ProviderKeyValue } from './schemas/provider-keys.js';

export const DaemonState = Type.Union([
  Type.Literal('stopped'),
  Type.Literal('starting'),
  Type.Literal('running'),
  Type.Literal('attached'),
  Type.Literal('backoff'),
  Type.Literal('failed'),
]);
export type DaemonState = Static<typeof DaemonState>;

export const DaemonStatus = Type.Object({
  state: DaemonState,
  /** Base URL of the daemon, e.g. http://127.0.0.1:8765 (null until known). */
  url: Type.Union([Type.String(), Type.Null()]),
  pid: Type.Union([Type.Integer(), Type.Null()]),
  restarts: Type.Integer({ minimum: 0 }),
  /** When the next restart attempt happens (ms epoch), while in backoff. */
  nextRetryAt: Type.Union([Type.Number(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
});
export type DaemonStatus = Static<typeof DaemonStatus>;

/** What the renderer needs to talk to the daemon's admin API itself. */
export const DaemonConnection = Type.Object({
  url: Type.String(),
  token: Type.String(),
});
export type DaemonConnection = Static<typeof DaemonConnection>;

const NoArgs = Type.Tuple([]);

export const ipcContract = {
  /** Admin API address + token, or null while the daemon is not reachable. */
  'daemon:connection': { args: NoArgs, result: Type.Union([DaemonConnection, Type.Null()]) },
  'daemon:status': { args: NoArgs, result: DaemonStatus },
  'daemon:restart': { args: NoArgs, result: DaemonStatus },
  'keys:list': { args: NoArgs, result: Type.Array(ProviderKeyInfo) },
  /** Add or replace the key of one provider connection. */
  'keys:set': {
    args: Type.Tuple([ProviderId, ProviderKeyValue]),
    result: ProviderKeyInfo,
  },
  'keys:delete': { args: Type.Tuple([ProviderId]), result: Type.Boolean() },
  /** Opens an http(s) URL in the user's browser if its host is on main's allowlist. */
  'app:open-external': { args: Type.Tuple([Type.String({ maxLength: 2048 })]), result: Type.Boolean() },
} as const satisfies Record<string, { args: TSchema; result: TSchema }>;

export type IpcContract = typeof ipcContract;
export type IpcChannel = keyof IpcContract;
export type IpcArgs<C extends IpcChannel> = Static<IpcContract[C]['args']>;
export type IpcResult<C extends IpcChannel> = Static<IpcContract[C]['result']>;

/** window.kagami method name for a channel: 'keys:set' → 'keysSet'. */
export type BridgeMethodName<C extends string> = C extends `${infer A}:${infer B}`
  ? `${A}${Capitalize<CamelCase<B>>}`
  : C;
type CamelCase<S extends string> = S extends `${infer A}-${infer B}` ? `${A}${Capitalize<CamelCase<B>>}` : S;

export function bridgeMethodName<C extends IpcChannel>(channel: C): BridgeMethodName<C> {
  return channel.replace(/[:-]([a-z])/g, (_m, c: string) => c.toUpperCase()) as BridgeMethodName<C>;
}

/** The object the preload puts on window.kagami. */
export type KagamiBridge = {
  [C in IpcChannel as BridgeMethodName<C>]: (...args: IpcArgs<C>) => Promise<IpcResult<C>>;
};

export const ipcChannels = Object.keys(ipcContract) as IpcChannel[];
