// Provider keys: add, replace, test, delete. A key goes one way, from this form to the OS
// keychain, and never comes back: the view only ever sees a fingerprint and the last 4.
// In the desktop app Electron main writes the keychain (window.kagami); in a browser on /ui
// the daemon does (POST/DELETE /admin/provider-keys, admin token). Both are the same entry,
// service "kagami", account provider:<id>, which the config's `api_key: { keychain: … }` reads.
// Testing is a cheap call the daemon makes with the key as stored right now.

import { useCallback, useEffect, useState } from 'react';
import type { KagamiBridge } from '../../shared/ipc.js';
import type { ProviderKeyInfo, ProviderKeyTest } from '../../shared/schemas/provider-keys.js';
import type { DaemonStatusInfo } from '../admin-api-types.js';
import { useAdminResource, useServices } from '../app-context.js';
import type { DaemonClient } from '../daemon-client.js';
import { useI18n } from '../i18n.js';

/** Where keys are written: the desktop bridge, or the daemon's admin API. */
interface KeyBackend {
  list(): Promise<ProviderKeyInfo[]>;
  set(provider: string, key: string): Promise<ProviderKeyInfo>;
  delete(provider: string): Promise<boolean>;
}

function keyBackend(bridge: KagamiBridge | null, client: DaemonClient): KeyBackend {
  if (bridge) return { list: () => bridge.keysList(), set: (p, k) => bridge.keysSet(p, k), delete: (p) => bridge.keysDelete(p) };
  return {
    list: () => client.get<ProviderKeyInfo[]>('/admin/provider-keys'),
    set: (provider, key) => client.post<ProviderKeyInfo>('/admin/provider-keys', { provider, key }),
    delete: async (provider) => (await client.del<{ deleted: boolean }>(`/admin/provider-keys/${encodeURIComponent(provider)}`)).deleted,
  };
}

type Note = { ok: boolean; text: string; offerRestart?: boolean };

export function KeysView(): React.JSX.Element {
  const { bridge, client } = useServices();
  const { t } = useI18n();
  const status = useAdminResource<DaemonStatusInfo>('/admin/status');
  const [backend] = useState(() => keyBackend(bridge, client));
  const [keys, setKeys] = useState<ProviderKeyInfo[]>([]);
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const [notes, setNotes] = useState<Record<string, Note>>({});
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(() => {
    backend.list().then(setKeys, (e: Error) => setError(e.message));
  }, [backend]);
  useEffect(refresh, [refresh]);
  const note = (provider: string, value: Note): void => setNotes((n) => ({ ...n, [provider]: value }));

  const providers = [...new Set([...(status.data?.providers ?? []).map((p) => p.id), ...keys.map((k) => k.provider)])].sort();

  const save = async (provider: string): Promise<void> => {
    // Pasted keys often carry a newline or spaces around them; a key itself has none.
    const key = (drafts[provider] ?? '').trim();
    if (!key) return;
    setError(null);
    try {
      await backend.set(provider, key);
      setDrafts((d) => ({ ...d, [provider]: '' }));
      // Requests use the key the daemon loaded at start. The desktop app can restart a daemon
      // it started; one started elsewhere (attached) must be restarted by whoever runs it.
      const supervised = bridge ? await bridge.daemonStatus().catch(() => null) : null;
      const attached = supervised?.state === 'attached';
      note(provider, { ok: true, text: attached ? `${t('keys.saved')}. ${t('keys.restartYourself')}` : t('keys.saved'), offerRestart: supervised?.state === 'running' });
      refresh();
    } catch (e) {
      note(provider, { ok: false, text: (e as Error).message });
    }
  };
  const remove = async (provider: string): Promise<void> => {
    if (!window.confirm(t('keys.confirmDelete'))) return;
    try {
      await backend.delete(provider);
      note(provider, { ok: true, text: t('keys.deleted') });
      refresh();
    } catch (e) {
      note(provider, { ok: false, text: (e as Error).message });
    }
  };
  const test = async (provider: string): Promise<void> => {
    note(provider, { ok: true, text: t('keys.testing') });
    try {
      const r = await client.post<ProviderKeyTest>(`/admin/provider-keys/${encodeURIComponent(provider)}/test`);
      const text = r.ok ? `${t('keys.testOk')} (${r.model ?? '?'}, ${r.latency_ms ?? '?'} ms)` : `${t('keys.testFail')}: ${r.message ?? r.status ?? ''}`;
      note(provider, { ok: r.ok && r.hint === null, text: r.hint ? `${text}. ${r.hint}` : text });
    } catch (e) {
      note(provider, { ok: false, text: `${t('keys.testFail')}: ${(e as Error).message}` });
    }
  };

  return (
    <section className="view">
      <div className="card">
        <h2>{t('keys.title')}</h2>
        <p className="dim small">{t('keys.help')}</p>
        <p className="dim small">{bridge ? t('keys.viaDesktop') : t('keys.viaDaemon')}</p>
        {error ? <p className="error">{error}</p> : null}
        <table className="grid" data-testid="keys-table">
          <thead>
            <tr>
              <th>{t('keys.provider')}</th>
              <th>{t('keys.stored')}</th>
              <th>{t('keys.fingerprint')}</th>
              <th>{t('keys.last4')}</th>
              <th className="wide" />
            </tr>
          </thead>
          <tbody>
            {providers.map((provider) => {
              const info = keys.find((k) => k.provider === provider);
              const result = notes[provider];
              return (
                <tr key={provider} data-provider={provider}>
                  <td className="mono">{provider}</td>
                  <td>{info ? <span className="status ok">✓</span> : <span className="dim">{t('keys.notSet')}</span>}</td>
                  <td className="mono" data-testid="fingerprint">
                    {info?.fingerprint ?? '—'}
                  </td>
                  <td className="mono">{info ? `…${info.last4}` : '—'}</td>
                  <td>
                    <div className="actions">
                      <form
                        onSubmit={(e) => {
                          e.preventDefault();
                          void save(provider);
                        }}
                      >
                        <input
                          type="password"
                          autoComplete="off"
                          spellCheck={false}
                          placeholder={t('keys.newKey')}
                          aria-label={`${t('keys.newKey')} ${provider}`}
                          value={drafts[provider] ?? ''}
                          onChange={(e) => setDrafts((d) => ({ ...d, [provider]: e.target.value }))}
                        />
                        <button type="submit" disabled={!drafts[provider]?.trim()}>
                          {info ? t('keys.replace') : t('keys.add')}
                        </button>
                        {info ? (
                          <button type="button" className="danger" onClick={() => void remove(provider)}>
                            {t('keys.delete')}
                          </button>
                        ) : null}
                      </form>
                      <button type="button" onClick={() => void test(provider)}>
                        {t('keys.test')}
                      </button>
                    </div>
                    {result ? (
                      <p className={`key-note small ${result.ok ? 'ok-text' : 'warn'}`} data-testid="key-note">
                        {result.text}
                        {result.offerRestart && bridge ? (
                          <>
                            {' '}
                            <button
                              type="button"
                              className="link"
                              onClick={() =>
                                void bridge.daemonRestart().then(
                                  () => note(provider, { ok: true, text: t('keys.restarted') }),
                                  (e: Error) => note(provider, { ok: false, text: e.message }),
                                )
                              }
                            >
                              {t('keys.restartNow')}
                            </button>
                          </>
                        ) : null}
                      </p>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
