// Provider keys. In the desktop app they are written to the OS keychain by main (the key goes
// renderer → main once and is never sent back: only fingerprint + last 4). Testing a key is
// a cheap call the daemon makes with it. In a plain browser this view is read-only.

import { useCallback, useEffect, useState } from 'react';
import type { ProviderKeyInfo } from '../../shared/ipc.js';
import type { DaemonStatusInfo, KeyTestResult } from '../admin-api-types.js';
import { useAdminResource, useServices } from '../app-context.js';
import { useI18n } from '../i18n.js';

export function KeysView(): React.JSX.Element {
  const { bridge, client } = useServices();
  const { t } = useI18n();
  const status = useAdminResource<DaemonStatusInfo>('/admin/status');
  const daemonKeys = useAdminResource<ProviderKeyInfo[]>('/admin/provider-keys');
  const [keys, setKeys] = useState<ProviderKeyInfo[]>([]);
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const [results, setResults] = useState<Record<string, { ok: boolean; text: string }>>({});
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(() => {
    if (bridge) bridge.keysList().then(setKeys, (e: Error) => setError(e.message));
  }, [bridge]);
  useEffect(refresh, [refresh]);
  const known = bridge ? keys : (daemonKeys.data ?? []);

  const providers = [...new Set([...(status.data?.providers ?? []).map((p) => p.id), ...known.map((k) => k.provider)])].sort();

  const save = async (provider: string): Promise<void> => {
    const key = drafts[provider];
    if (!bridge || !key) return;
    setError(null);
    try {
      await bridge.keysSet(provider, key);
      setDrafts((d) => ({ ...d, [provider]: '' }));
      refresh();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const remove = async (provider: string): Promise<void> => {
    if (!bridge || !window.confirm(t('keys.confirmDelete'))) return;
    await bridge.keysDelete(provider).catch((e: Error) => setError(e.message));
    refresh();
  };
  const test = async (provider: string): Promise<void> => {
    try {
      const r = await client.post<KeyTestResult>(`/admin/provider-keys/${encodeURIComponent(provider)}/test`);
      setResults((s) => ({ ...s, [provider]: { ok: r.ok, text: r.ok ? `${t('keys.testOk')} (${r.latency_ms ?? '?'} ms)` : `${t('keys.testFail')}: ${r.message ?? r.status}` } }));
    } catch (e) {
      setResults((s) => ({ ...s, [provider]: { ok: false, text: `${t('keys.testFail')}: ${(e as Error).message}` } }));
    }
  };

  return (
    <section className="view">
      <div className="card">
        <h2>{t('keys.title')}</h2>
        <p className="dim small">{t('keys.help')}</p>
        {!bridge ? <p className="notice">{t('keys.desktopOnly')}</p> : null}
        {error ? <p className="error">{error}</p> : null}
        <table className="grid">
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
              const info = known.find((k) => k.provider === provider);
              const result = results[provider];
              return (
                <tr key={provider}>
                  <td className="mono">{provider}</td>
                  <td>{info ? <span className="status ok">✓</span> : <span className="dim">{t('keys.notSet')}</span>}</td>
                  <td className="mono">{info?.fingerprint ?? '—'}</td>
                  <td className="mono">{info ? `…${info.last4}` : '—'}</td>
                  <td className="actions">
                    {bridge ? (
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
                          value={drafts[provider] ?? ''}
                          onChange={(e) => setDrafts((d) => ({ ...d, [provider]: e.target.value }))}
                        />
                        <button type="submit" disabled={!drafts[provider]}>
                          {info ? t('keys.replace') : t('keys.add')}
                        </button>
                        {info ? (
                          <button type="button" className="danger" onClick={() => void remove(provider)}>
                            {t('keys.delete')}
                          </button>
                        ) : null}
                      </form>
                    ) : null}
                    <button type="button" onClick={() => void test(provider)}>
                      {t('keys.test')}
                    </button>
                    {result ? <span className={result.ok ? 'ok-text' : 'warn'}>{result.text}</span> : null}
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
