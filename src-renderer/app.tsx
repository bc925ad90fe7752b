// The shell: finds the daemon (desktop bridge, or the token of this browser tab), keeps the
// live event stream open for every view, and lays out navigation, status and the views.

import { useEffect, useMemo, useState } from 'react';
import type { KagamiBridge } from '../shared/ipc.js';
import type { AuditPage } from '../shared/schemas/audit.js';
import { AppContext, type AppServices } from './app-context.js';
import { createDaemonClient, DaemonHttpError, type StreamState } from './daemon-client.js';
import { dictionaries, I18nContext, type Lang, type LabelKey } from './i18n.js';
import { LiveStore, requestEventOf } from './live-store.js';
import { NavIcon } from './components/nav-icons.js';
import { CostView } from './views/cost-view.js';
import { KeysView } from './views/keys-view.js';
import { LatencyView } from './views/latency-view.js';
import { LiveView } from './views/live-view.js';
import { LoginView } from './views/login-view.js';
import { PolicyView } from './views/policy-view.js';
import { RedactionView } from './views/redaction-view.js';
import { SettingsView } from './views/settings-view.js';

declare global {
  interface Window {
    kagami?: KagamiBridge;
  }
}

const VIEWS = ['live', 'latency', 'cost', 'redaction', 'policy', 'keys', 'settings'] as const;
type ViewName = (typeof VIEWS)[number];
const TOKEN_KEY = 'kagami.adminToken';
/** How much of the audit trail the live view starts with: the span of its charts. */
const HISTORY_MS = 5 * 60_000;

type Theme = 'dark' | 'light';
const initialTheme = (): Theme =>
  (localStorage.getItem('kagami.theme') as Theme | null) ?? (matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark');
const initialLang = (): Lang => (localStorage.getItem('kagami.lang') as Lang | null) ?? (navigator.language.startsWith('ja') ? 'ja' : 'en');
const viewFromHash = (): ViewName => {
  const name = location.hash.replace(/^#\/?/, '');
  return (VIEWS as readonly string[]).includes(name) ? (name as ViewName) : 'live';
};

/**
 * Web UI: take the token from the sign-in link once (`#token=…` as `kagami start` prints it,
 * never sent to the server; or `?token=…`), drop it from the address bar and history, and
 * keep it in this tab's sessionStorage. Otherwise the token this tab stored before.
 */
function takeBrowserToken(): string | null {
  const url = new URL(location.href);
  const fromHash = /^#token=([^&]+)/.exec(url.hash)?.[1];
  const fromQuery = url.searchParams.get('token');
  const token = fromHash ? decodeURIComponent(fromHash) : fromQuery;
  if (token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    url.searchParams.delete('token');
    if (fromHash) url.hash = '#/live';
    history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

type Auth = { state: 'checking' } | { state: 'login'; error: string | null } | { state: 'ready'; url: string; token: string };

export function App(): React.JSX.Element {
  const bridge = window.kagami ?? null;
  const [theme, setTheme] = useState<Theme>(initialTheme);
  const [lang, setLang] = useState<Lang>(initialLang);
  const [view, setView] = useState<ViewName>(viewFromHash);
  const [auth, setAuth] = useState<Auth>({ state: 'checking' });

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem('kagami.theme', theme);
  }, [theme]);
  useEffect(() => {
    document.documentElement.lang = lang;
    localStorage.setItem('kagami.lang', lang);
  }, [lang]);
  useEffect(() => {
    const onHash = (): void => setView(viewFromHash());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  const signIn = async (url: string, token: string): Promise<void> => {
    try {
      await createDaemonClient({ url, token }).get('/admin/status');
      setAuth({ state: 'ready', url, token });
    } catch (error) {
      if (error instanceof DaemonHttpError && error.status === 404) return setAuth({ state: 'ready', url, token });
      const invalid = error instanceof DaemonHttpError && (error.status === 401 || error.status === 403);
      sessionStorage.removeItem(TOKEN_KEY);
      setAuth({ state: 'login', error: dictionaries[lang][invalid ? 'login.invalid' : 'login.unreachable'] });
    }
  };

  useEffect(() => {
    if (bridge) {
      let cancelled = false;
      const connect = async (): Promise<void> => {
        const connection = await bridge.daemonConnection().catch(() => null);
        if (cancelled) return;
        if (connection) return setAuth({ state: 'ready', ...connection });
        // A healthy daemon whose token main cannot read (it keeps its data elsewhere): ask for it.
        const status = await bridge.daemonStatus().catch(() => null);
        if (cancelled) return;
        if (status?.state === 'running' || status?.state === 'attached') return setAuth({ state: 'login', error: null });
        setTimeout(() => void connect(), 1000);
      };
      void connect();
      return () => {
        cancelled = true;
      };
    }
    const token = takeBrowserToken();
    if (token) void signIn(location.origin, token);
    else setAuth({ state: 'login', error: null });
    return undefined;
  }, []);

  const i18n = useMemo(() => ({ lang, t: (key: LabelKey) => dictionaries[lang][key] }), [lang]);

  return (
    <I18nContext.Provider value={i18n}>
      {auth.state === 'ready' ? (
        <Console
          connection={auth}
          bridge={bridge}
          view={view}
          theme={theme}
          setTheme={setTheme}
          lang={lang}
          setLang={setLang}
          onSignOut={
            bridge
              ? null
              : () => {
                  sessionStorage.removeItem(TOKEN_KEY);
                  setAuth({ state: 'login', error: null });
                }
          }
        />
      ) : auth.state === 'login' ? (
        <LoginView
          error={auth.error}
          onSubmit={(token) => {
            sessionStorage.setItem(TOKEN_KEY, token);
            void signIn(location.origin, token);
          }}
        />
      ) : (
        <main className="login">
          <p className="dim">{i18n.t('common.loading')}</p>
        </main>
      )}
    </I18nContext.Provider>
  );
}

const NAV_LABEL: Record<ViewName, LabelKey> = {
  live: 'nav.live',
  latency: 'nav.latency',
  cost: 'nav.cost',
  redaction: 'nav.redaction',
  policy: 'nav.policy',
  keys: 'nav.keys',
  settings: 'nav.settings',
};

function Console(props: {
  connection: { url: string; token: string };
  bridge: KagamiBridge | null;
  view: ViewName;
  theme: Theme;
  setTheme: (t: Theme) => void;
  lang: Lang;
  setLang: (l: Lang) => void;
  onSignOut: (() => void) | null;
}): React.JSX.Element {
  const { connection, bridge, view } = props;
  const t = (key: LabelKey): string => dictionaries[props.lang][key];
  const services = useMemo<AppServices>(
    () => ({
      client: createDaemonClient(connection),
      store: new LiveStore({ schedule: (fn, ms) => setTimeout(() => requestAnimationFrame(fn), ms) }),
      bridge,
    }),
    [connection, bridge],
  );
  const [stream, setStream] = useState<StreamState>('connecting');
  useEffect(
    () =>
      services.client.subscribeEvents({
        onEvents: (events) => services.store.push(events),
        onState: (state) => {
          setStream(state);
          // Each (re)connect fills in the last minutes from the audit trail: what happened before
          // the app opened, or while the stream was down. Without the audit routes: live only.
          if (state === 'open') {
            services.client
              .get<AuditPage>('/admin/audit', { from: Date.now() - HISTORY_MS, limit: 1000 })
              .then((page) => services.store.seed(page.items.map(requestEventOf)))
              .catch(() => undefined);
          }
        },
      }),
    [services],
  );

  const streamLabel: Record<StreamState, LabelKey> = { connecting: 'conn.connecting', open: 'conn.live', down: 'conn.down', unauthorized: 'conn.unauthorized' };

  return (
    <AppContext.Provider value={services}>
      <div className="shell">
        <nav className="sidebar">
          <div className="brand">
            <span className="logo" aria-hidden="true" />
            <div>
              <b>{t('app.title')}</b>
              <small>{t('app.subtitle')}</small>
            </div>
          </div>
          <ul>
            {VIEWS.map((name) => (
              <li key={name}>
                <a href={`#/${name}`} className={view === name ? 'active' : ''} data-view={name}>
                  <NavIcon name={name} />
                  {t(NAV_LABEL[name])}
                </a>
              </li>
            ))}
          </ul>
          <div className="sidebar-foot">
            <span className={`conn ${stream}`} data-testid="stream-state">
              <i /> {t(streamLabel[stream])}
            </span>
            <span className="mono dim small">{connection.url.replace(/^https?:\/\//, '')}</span>
          </div>
        </nav>
        <div className="main">
          <header className="topbar">
            <h1>{t(NAV_LABEL[view])}</h1>
            <div className="grow" />
            <button type="button" onClick={() => props.setLang(props.lang === 'en' ? 'ja' : 'en')} data-testid="lang-switch">
              {t('lang.switch')}
            </button>
            <button type="button" onClick={() => props.setTheme(props.theme === 'dark' ? 'light' : 'dark')} data-testid="theme-switch">
              {props.theme === 'dark' ? `☀ ${t('theme.light')}` : `☾ ${t('theme.dark')}`}
            </button>
            {props.onSignOut ? (
              <button type="button" onClick={props.onSignOut}>
                {t('login.signout')}
              </button>
            ) : null}
          </header>
          {view === 'live' && <LiveView />}
          {view === 'latency' && <LatencyView />}
          {view === 'cost' && <CostView />}
          {view === 'redaction' && <RedactionView />}
          {view === 'policy' && <PolicyView />}
          {view === 'keys' && <KeysView />}
          {view === 'settings' && <SettingsView lang={props.lang} setLang={props.setLang} theme={props.theme} setTheme={props.setTheme} />}
        </div>
      </div>
    </AppContext.Provider>
  );
}
