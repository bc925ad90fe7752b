// Cost: spend per tenant, model and endpoint for today or this month (the daemon's audit
// figures), what the live stream has seen since the page opened, and each budget's use.

import { useState } from 'react';
import type { CostStats } from '../../shared/schemas/audit.js';
import type { BudgetsResponse, BudgetStatus } from '../admin-api-types.js';
import { useAdminResource, useLiveVersion, useServices } from '../app-context.js';
import { BarList } from '../components/bar-list.js';
import { formatInt, formatPct, formatUsd } from '../format.js';
import { useI18n } from '../i18n.js';
import { Unavailable } from './unavailable.js';

type Period = 'today' | 'month';

function periodRange(period: Period): { from: number; to: number } {
  const now = new Date();
  const from = period === 'today' ? new Date(now.getFullYear(), now.getMonth(), now.getDate()) : new Date(now.getFullYear(), now.getMonth(), 1);
  return { from: from.getTime(), to: now.getTime() + 60_000 };
}

export function CostView(): React.JSX.Element {
  const { store } = useServices();
  const { t } = useI18n();
  useLiveVersion();
  const [period, setPeriod] = useState<Period>('today');
  const [range] = useState(() => ({ today: periodRange('today'), month: periodRange('month') }));
  const cost = useAdminResource<CostStats>('/admin/stats/cost', range[period], 10_000);
  const budgets = useAdminResource<BudgetsResponse>('/admin/budgets', {}, 10_000);
  // One line per cap: a subject with a daily and a monthly cap shows both.
  const budgetLines = (budgets.data?.budgets ?? []).flatMap((b: BudgetStatus) => [
    ...(b.dailyCapUsd !== null ? [{ b, period: t('cost.daily'), spent: b.dailySpendUsd, cap: b.dailyCapUsd }] : []),
    ...(b.monthlyCapUsd !== null ? [{ b, period: t('cost.monthly'), spent: b.monthlySpendUsd, cap: b.monthlyCapUsd }] : []),
  ]);
  const bars = (rows: Array<{ key: string | null; cost_usd: number; requests: number }>) =>
    rows.map((r) => ({ key: r.key ?? '—', label: r.key ?? '—', value: r.cost_usd, detail: `${formatInt(r.requests)} ${t('cost.req')}` }));

  return (
    <section className="view">
      <div className="card">
        <header className="toolbar">
          <h2 className="grow">
            {t('cost.total')}: <span className="big mono" data-testid="cost-total">{formatUsd(cost.data?.total_usd)}</span>
          </h2>
          <div className="segmented" role="group" aria-label={t('cost.range')}>
            {(['today', 'month'] as const).map((p) => (
              <button key={p} type="button" className={p === period ? 'active' : ''} onClick={() => setPeriod(p)}>
                {t(p === 'today' ? 'cost.today' : 'cost.month')}
              </button>
            ))}
          </div>
        </header>
        {cost.unavailable ? (
          <Unavailable path="/admin/stats/cost" />
        ) : cost.error ? (
          <p className="error">{cost.error}</p>
        ) : (
          <div className="columns-3">
            <div>
              <h3>{t('cost.byTenant')}</h3>
              <BarList emptyText={t('common.none')} format={formatUsd} rows={bars((cost.data?.by_tenant ?? []).map((r) => ({ ...r, key: r.tenant })))} />
            </div>
            <div>
              <h3>{t('cost.byModel')}</h3>
              <BarList emptyText={t('common.none')} format={formatUsd} rows={bars((cost.data?.by_model ?? []).map((r) => ({ ...r, key: r.model })))} />
            </div>
            <div>
              <h3>{t('cost.byEndpoint')}</h3>
              <BarList emptyText={t('common.none')} format={formatUsd} rows={bars((cost.data?.by_endpoint ?? []).map((r) => ({ ...r, key: r.endpoint })))} />
            </div>
          </div>
        )}
      </div>
      <div className="card">
        <h2>{t('cost.budgets')}</h2>
        {budgets.unavailable ? (
          <Unavailable path="/admin/budgets" />
        ) : budgetLines.length === 0 ? (
          <p className="empty">{t('cost.noBudgets')}</p>
        ) : (
          <table className="grid" data-testid="budgets-table">
            <thead>
              <tr>
                <th>{t('col.budget')}</th>
                <th>{t('cost.period')}</th>
                <th className="num">{t('col.spend')}</th>
                <th className="num">{t('cost.cap')}</th>
                <th className="wide">{t('col.used')}</th>
              </tr>
            </thead>
            <tbody>
              {budgetLines.map(({ b, period: label, spent, cap }) => {
                const used = cap > 0 ? spent / cap : spent > 0 ? 1 : 0;
                const level = used >= 1 ? 'err' : used >= (b.softRatio ?? 0.8) ? 'warn' : 'ok';
                return (
                  <tr key={`${b.scope}:${b.subject}:${label}`}>
                    <td className="mono">{`${b.scope} ${b.subject}`}</td>
                    <td>{label}</td>
                    <td className="num mono">{formatUsd(spent)}</td>
                    <td className="num mono">{formatUsd(cap)}</td>
                    <td>
                      <span className={`meter-bar ${level}`}>
                        <span style={{ width: `${Math.min(100, used * 100)}%` }} />
                      </span>{' '}
                      <span className="mono">{formatPct(used)}</span>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </div>
      <div className="card">
        <h2>{t('cost.live')}</h2>
        <div className="columns-3">
          <div>
            <h3>{t('cost.byTenant')}</h3>
            <BarList emptyText={t('common.none')} format={formatUsd} rows={store.spend('tenant').map((r) => ({ key: r.key, label: r.key, value: r.costUsd, detail: `${formatInt(r.requests)} ${t('cost.req')}` }))} />
          </div>
          <div>
            <h3>{t('cost.byModel')}</h3>
            <BarList emptyText={t('common.none')} format={formatUsd} rows={store.spend('model').map((r) => ({ key: r.key, label: r.key, value: r.costUsd, detail: `${formatInt(r.requests)} ${t('cost.req')}` }))} />
          </div>
          <div>
            <h3>{t('cost.byEndpoint')}</h3>
            <BarList emptyText={t('common.none')} format={formatUsd} rows={store.spend('endpoint').map((r) => ({ key: r.key, label: r.key, value: r.costUsd, detail: `${formatInt(r.requests)} ${t('cost.req')}` }))} />
          </div>
        </div>
      </div>
    </section>
  );
}
