// What every view gets: the daemon client, the live store, the desktop bridge (null in a
// browser) and a hook to poll one admin route.

import { createContext, useCallback, useContext, useEffect, useState } from 'react';
import type { KagamiBridge } from '../shared/ipc.js';
import { DaemonHttpError, type DaemonClient } from './daemon-client.js';
import type { LiveStore } from './live-store.js';

export interface AppServices {
  client: DaemonClient;
  store: LiveStore;
  bridge: KagamiBridge | null;
}

export const AppContext = createContext<AppServices | null>(null);

export function useServices(): AppServices {
  const services = useContext(AppContext);
  if (!services) throw new Error('AppContext missing');
  return services;
}

export interface Resource<T> {
  data: T | null;
  error: string | null;
  /** The daemon does not have this route (404): a part not installed or not landed yet. */
  unavailable: boolean;
  loading: boolean;
  reload: () => void;
}

/** GET `path` now, whenever `query` changes, and every `pollMs` while mounted. */
export function useAdminResource<T>(path: string, query: Record<string, string | number | undefined> = {}, pollMs = 0): Resource<T> {
  const { client } = useServices();
  const [state, setState] = useState<Omit<Resource<T>, 'reload'>>({ data: null, error: null, unavailable: false, loading: true });
  const [tick, setTick] = useState(0);
  const queryKey = JSON.stringify(query);
  const reload = useCallback(() => setTick((n) => n + 1), []);

  useEffect(() => {
    let cancelled = false;
    client
      .get<T>(path, JSON.parse(queryKey) as Record<string, string>)
      .then((data) => !cancelled && setState({ data, error: null, unavailable: false, loading: false }))
      .catch((error: unknown) => {
        if (cancelled) return;
        const unavailable = error instanceof DaemonHttpError && (error.status === 404 || error.status === 501);
        setState((s) => ({ data: unavailable ? null : s.data, error: unavailable ? null : String((error as Error).message), unavailable, loading: false }));
      });
    const timer = pollMs > 0 ? setTimeout(reload, pollMs) : undefined;
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [client, path, queryKey, pollMs, tick, reload]);

  return { ...state, reload };
}

/** Re-render on every live-store flush (batched: at most every 100 ms). */
export function useLiveVersion(): number {
  const { store } = useServices();
  const [version, setVersion] = useState(store.version);
  useEffect(() => store.subscribe(() => setVersion(store.version)), [store]);
  return version;
}

/** Re-render every `ms` (charts move with the clock even without traffic). */
export function useClock(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}
