// Settings: where the daemon is and how it is doing (desktop: supervisor state, restart),
// the base URL to give tools, SIEM sink delivery status, language and theme.

import { useEffect, useState } from 'react';
import type { DaemonStatus } from '../../shared/ipc.js';
import type { SiemStatus } from '../../shared/schemas/siem.js';
import type { DaemonStatusInfo } from '../admin-api-types.js';
import { useAdminResource, useServices } from '../app-context.js';
import { formatDateTime, formatDuration, formatInt } from '../format.js';
import { useI18n, type Lang } from '../i18n.js';
import { Unavailable } from './unavailable.js';

export function SettingsView(props: { lang: Lang; setLang: (l: Lang) => void; theme: 'dark' | 'light'; setTheme: (t: 'dark' | 'light') => void }): React.JSX.Element {
  const { client, bridge } = useServices();
  const { t } = useI18n();
  const info = useAdminResource<DaemonStatusInfo>('/admin/status', {}, 10_000);
  const siem = useAdminResource<SiemStatus>('/admin/siem/status', {}, 5000);
  const sinks = siem.data?.sinks ?? [];
  const [supervisor, setSupervisor] = useState<DaemonStatus | null>(null);
  useEffect(() => {
    if (!bridge) return;
    const load = (): void => void bridge.daemonStatus().then(setSupervisor, () => undefined);
    load();
    const timer = setInterval(load, 2000);
    return () => clearInterval(timer);
  }, [bridge]);
  const baseUrl = new URL('/v1', client.url.startsWith('http') ? client.url : location.origin).href;

  return (
    <section className="view">
      <div className="columns-2">
        <div className="card">
          <h2>{t('settings.daemon')}</h2>
          <dl className="kv">
            <dt>{t('settings.address')}</dt>
            <dd className="mono">{client.url || location.origin}</dd>
            <dt>{t('settings.baseUrl')}</dt>
            <dd className="mono selectable">{baseUrl}</dd>
            <dt>{t('settings.version')}</dt>
            <dd className="mono">{info.data?.version ?? '—'}</dd>
            <dt>{t('settings.uptime')}</dt>
            <dd>{formatDuration(info.data?.uptime_s)}</dd>
            {supervisor ? (
              <>
                <dt>{t('settings.state')}</dt>
                <dd>
                  <span className={`breaker ${supervisor.state === 'running' || supervisor.state === 'attached' ? 'closed' : 'open'}`}>{supervisor.state}</span>
                  {supervisor.lastError ? <span className="dim"> {supervisor.lastError}</span> : null}
                </dd>
                <dt>{t('settings.restarts')}</dt>
                <dd>{supervisor.restarts}</dd>
              </>
            ) : null}
            <dt>{t('settings.providers')}</dt>
            <dd className="mono">{(info.data?.providers ?? []).map((p) => p.id).join(', ') || '—'}</dd>
            <dt>{t('settings.models')}</dt>
            <dd className="mono">{(info.data?.models ?? []).map((m) => m.name).join(', ') || '—'}</dd>
          </dl>
          {bridge ? (
            <button type="button" onClick={() => void bridge.daemonRestart().then(setSupervisor)}>
              {t('settings.restart')}
            </button>
          ) : null}
        </div>
        <div className="card">
          <h2>{t('settings.appearance')}</h2>
          <dl className="kv">
            <dt>{t('settings.language')}</dt>
            <dd>
              <div className="segmented">
                {(['en', 'ja'] as const).map((l) => (
                  <button key={l} type="button" className={props.lang === l ? 'active' : ''} onClick={() => props.setLang(l)}>
                    {l === 'en' ? 'English' : '日本語'}
                  </button>
                ))}
              </div>
            </dd>
            <dt>{t('settings.theme')}</dt>
            <dd>
              <div className="segmented">
                {(['dark', 'light'] as const).map((th) => (
                  <button key={th} type="button" className={props.theme === th ? 'active' : ''} onClick={() => props.setTheme(th)}>
                    {t(th === 'dark' ? 'theme.dark' : 'theme.light')}
                  </button>
                ))}
              </div>
            </dd>
          </dl>
        </div>
      </div>
      <div className="card">
        <h2>{t('settings.siem')}</h2>
        {siem.unavailable ? (
          <Unavailable path="/admin/siem/status" />
        ) : sinks.length === 0 ? (
          <p className="empty">{t('common.none')}</p>
        ) : (
          <table className="grid" data-testid="siem-table">
            <thead>
              <tr>
                <th>{t('settings.sink')}</th>
                <th>{t('settings.state')}</th>
                <th className="num">{t('settings.lag')}</th>
                <th>{t('settings.lastDelivered')}</th>
                <th className="wide">{t('settings.lastError')}</th>
              </tr>
            </thead>
            <tbody>
              {sinks.map((s) => (
                <tr key={s.id}>
                  <td className="mono">
                    {s.id} <span className="dim">({s.type})</span>
                  </td>
                  <td>
                    <span className={`breaker ${s.failures > 0 ? 'open' : 'closed'}`}>{s.failures > 0 ? `retry ${formatDateTime(s.retry_at)}` : 'ok'}</span>
                  </td>
                  <td className={`num mono ${(s.lag ?? 0) > 0 ? 'warn' : ''}`}>{formatInt(s.lag)}</td>
                  <td>{formatDateTime(s.last_delivered_at)}</td>
                  <td className="warn small" title={s.last_error ?? undefined}>
                    {s.last_error ?? ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}
