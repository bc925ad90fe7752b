// Latency: live p50/p95 per provider/endpoint (per-second buckets from the event stream,
// redrawn once a second), the daemon's figures over 5 min / 1 h / 24 h, error rates and
// circuit-breaker states.

import { useMemo, useState } from 'react';
import type { LatencyStats, StatsWindow } from '../../shared/schemas/audit.js';
import type { RoutingState } from '../admin-api-types.js';
import { useAdminResource, useClock, useServices } from '../app-context.js';
import { BarList } from '../components/bar-list.js';
import { LineChart, type ChartSeries } from '../components/line-chart.js';
import { formatInt, formatMs, formatPct, formatTime } from '../format.js';
import { useI18n } from '../i18n.js';
import type { SeriesPoint } from '../live-store.js';
import { Unavailable } from './unavailable.js';

const WINDOWS: StatsWindow[] = ['5m', '1h', '24h'];

function toSeries(points: SeriesPoint[], withRate: boolean): { times: number[]; series: ChartSeries[] } {
  const series: ChartSeries[] = [
    { label: 'p50', color: 'var(--c1)', values: points.map((p) => p.p50) },
    { label: 'p95', color: 'var(--c2)', values: points.map((p) => p.p95) },
  ];
  if (withRate) series.push({ label: 'errors/s', color: 'var(--c-err)', values: points.map((p) => p.errors) });
  return { times: points.map((p) => p.t), series };
}

export function LatencyView(): React.JSX.Element {
  const { store } = useServices();
  const { t } = useI18n();
  const [window, setWindow] = useState<StatsWindow>('5m');
  const now = useClock(1000);
  const latency = useAdminResource<{ windows: LatencyStats[] }>('/admin/stats/latency', { window }, 5000);
  const stats = { ...latency, data: latency.data?.windows.find((w) => w.window === window) ?? null };
  const routing = useAdminResource<RoutingState>('/admin/routing/breakers', {}, 5000);
  const endpoints = routing.data?.endpoints ?? [];

  const overall = useMemo(() => toSeries(store.series(), true), [store, now]);
  const groups = useMemo(() => store.groups().slice(0, 8).map((g) => ({ group: g, ...toSeries(store.series(g), false) })), [store, now]);

  return (
    <section className="view">
      <div className="card">
        <h2>{t('latency.live')}</h2>
        <LineChart ariaLabel={t('latency.overall')} series={overall.series} times={overall.times} unit="ms" height={160} />
      </div>
      <div className="small-multiples">
        {groups.map((g) => (
          <div className="card" key={g.group}>
            <h3 className="mono">{g.group}</h3>
            <LineChart ariaLabel={g.group} series={g.series} times={g.times} unit="ms" height={110} />
          </div>
        ))}
      </div>
      <div className="card">
        <header className="toolbar">
          <h2 className="grow">
            {t('col.p50')} / {t('col.p95')} · {t('col.errorRate')}
          </h2>
          <div className="segmented" role="group" aria-label={t('latency.window')}>
            {WINDOWS.map((w) => (
              <button key={w} type="button" className={w === window ? 'active' : ''} onClick={() => setWindow(w)}>
                {w}
              </button>
            ))}
          </div>
        </header>
        {stats.unavailable ? (
          <Unavailable path="/admin/stats/latency" />
        ) : stats.error ? (
          <p className="error">{stats.error}</p>
        ) : (
          <>
            <BarList
              emptyText={t('latency.noData')}
              format={formatMs}
              rows={(stats.data?.groups ?? []).map((g) => ({
                key: `${g.provider}/${g.endpoint}`,
                label: `${g.provider ?? '—'} / ${g.endpoint ?? '—'}`,
                value: g.p50_ms ?? 0,
                secondary: g.p95_ms ?? 0,
                detail: `p95 ${formatMs(g.p95_ms)}`,
              }))}
            />
            <table className="grid">
              <thead>
                <tr>
                  <th>{t('col.provider')}</th>
                  <th>{t('col.endpoint')}</th>
                  <th className="num">{t('common.requests')}</th>
                  <th className="num">{t('col.p50')}</th>
                  <th className="num">{t('col.p95')}</th>
                  <th className="num">{t('col.errorRate')}</th>
                  <th>{t('col.breaker')}</th>
                </tr>
              </thead>
              <tbody>
                {(stats.data?.groups ?? []).map((g) => {
                  const breaker = endpoints.find((e) => e.endpoint === g.endpoint)?.breaker;
                  return (
                    <tr key={`${g.provider}/${g.endpoint}`}>
                      <td className="mono">{g.provider ?? '—'}</td>
                      <td className="mono">{g.endpoint ?? '—'}</td>
                      <td className="num mono">{formatInt(g.requests)}</td>
                      <td className="num mono">{formatMs(g.p50_ms)}</td>
                      <td className="num mono">{formatMs(g.p95_ms)}</td>
                      <td className={`num mono ${g.error_rate > 0.05 ? 'warn' : ''}`}>{formatPct(g.error_rate)}</td>
                      <td>{breaker ? <span className={`breaker ${breaker.state}`}>{breaker.state}</span> : <span className="dim">—</span>}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </>
        )}
      </div>
      <div className="card">
        <h2>{t('latency.breakers')}</h2>
        {routing.unavailable ? (
          <Unavailable path="/admin/routing/breakers" />
        ) : endpoints.length === 0 ? (
          <p className="empty">{t('common.none')}</p>
        ) : (
          <table className="grid" data-testid="breakers-table">
            <thead>
              <tr>
                <th>{t('col.endpoint')}</th>
                <th>{t('col.breaker')}</th>
                <th className="num">{t('latency.failures')}</th>
                <th className="num">{t('latency.opens')}</th>
                <th className="num">{t('latency.routingP50')}</th>
                <th className="num">{t('latency.routingP95')}</th>
                <th>{t('latency.health')}</th>
              </tr>
            </thead>
            <tbody>
              {endpoints.map((e) => (
                <tr key={e.endpoint} data-endpoint={e.endpoint}>
                  <td className="mono">
                    {e.endpoint}
                    {e.on_prem ? <span className="badge">{t('latency.onPrem')}</span> : null}
                  </td>
                  <td>
                    <span className={`breaker ${e.breaker.state}`}>{e.breaker.state}</span>
                    {e.breaker.state === 'open' && e.breaker.retryAt ? <span className="dim small"> {t('latency.probeAt')} {formatTime(e.breaker.retryAt)}</span> : null}
                  </td>
                  <td className="num mono">
                    {formatInt(e.breaker.consecutiveFailures)} <span className="dim">({formatPct(e.breaker.failureRatio)})</span>
                  </td>
                  <td className="num mono">{formatInt(e.breaker.opens)}</td>
                  <td className="num mono">{formatMs(e.latency.p50Ms)}</td>
                  <td className="num mono">{formatMs(e.latency.p95Ms)}</td>
                  <td>{e.health ? <span className={e.health.up ? 'ok-text' : 'warn'}>{e.health.up ? t('latency.up') : (e.health.lastError ?? t('latency.down'))}</span> : <span className="dim">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {routing.data?.retry_budget ? (
          <p className="dim small">
            {t('latency.retries')}: {formatInt(routing.data.retry_budget.retries)} / {formatInt(routing.data.retry_budget.requests)}
          </p>
        ) : null}
      </div>
    </section>
  );
}
