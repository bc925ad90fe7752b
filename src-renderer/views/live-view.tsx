// Live: every request as it finishes, newest first. Pausable (the table freezes, counts keep
// going), filterable, and a click opens the routing decision in a drawer. At 200 requests/s
// the table renders only the rows in view (fixed row height, spacer rows above and below),
// so each batch costs the same however many rows the filter matches.

import { memo, useEffect, useMemo, useRef, useState } from 'react';
import type { RequestEvent } from '../../shared/schemas/events.js';
import { useLiveVersion, useServices } from '../app-context.js';
import { RedactionBadges, StatusBadge } from '../components/badges.js';
import { Facts } from '../components/facts.js';
import { formatInt, formatMs, formatTime, formatUsd } from '../format.js';
import { useI18n } from '../i18n.js';
import { matchesFilter, type LiveFilter } from '../live-store.js';

const MAX_ROWS = 5_000;
/** Must equal `table.live tbody tr { height }` in styles.css. */
const ROW_HEIGHT = 29;
/** Rows rendered beyond each edge of the viewport, so scrolling never shows a gap. */
const OVERSCAN = 15;

/** Which rows of a scrolled list are in view: scrollTop and height of its scroll box. */
function useViewport(): { ref: React.RefObject<HTMLDivElement | null>; top: number; height: number } {
  const ref = useRef<HTMLDivElement | null>(null);
  const [box, setBox] = useState({ top: 0, height: 900 });
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let frame = 0;
    const measure = (): void => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => setBox({ top: el.scrollTop, height: el.clientHeight }));
    };
    const resize = new ResizeObserver(measure);
    resize.observe(el);
    el.addEventListener('scroll', measure, { passive: true });
    return () => {
      cancelAnimationFrame(frame);
      resize.disconnect();
      el.removeEventListener('scroll', measure);
    };
  }, []);
  return { ref, ...box };
}

/** One row; memoised, so a flush renders only the rows that are new (events never change). */
const LiveRow = memo(function LiveRow({ event: e, selected, onSelect }: { event: RequestEvent; selected: boolean; onSelect: (e: RequestEvent) => void }) {
  const { t } = useI18n();
  return (
    <tr onClick={() => onSelect(e)} className={selected ? 'selected' : ''} data-trace={e.trace_id}>
      <td className="mono dim">{formatTime(e.ts)}</td>
      <td>
        {e.tenant ?? '—'}
        <span className="dim"> / {e.user ?? '—'}</span>
      </td>
      <td>
        <span className="mono">{e.requested_model ?? '—'}</span>
        <span className="dim"> → </span>
        <span className="mono">{e.endpoint ?? e.provider ?? '—'}</span>
        {e.fallbacks.length > 0 ? <span className="badge action-warn" title={e.fallbacks.join(', ')}>↻{e.fallbacks.length}</span> : null}
        {e.cache_hit ? <span className="badge action-allow">{t('live.cache')}</span> : null}
      </td>
      <td className="mono">{e.rule ?? <span className="dim">—</span>}</td>
      <td className="num">
        <StatusBadge status={e.status} />
      </td>
      <td className="num mono">{formatMs(e.latency_ms)}</td>
      <td className="num mono">{formatInt(e.total_tokens)}</td>
      <td className="num mono">{formatUsd(e.cost_usd)}</td>
      <td>
        <RedactionBadges redactions={e.redactions} />
      </td>
    </tr>
  );
});

export function LiveView(): React.JSX.Element {
  const { store } = useServices();
  const { t } = useI18n();
  useLiveVersion();
  const [filter, setFilter] = useState<LiveFilter>({ text: '', status: 'all' });
  const [selected, setSelected] = useState<RequestEvent | null>(null);
  const all = store.rows();
  const rows = useMemo(() => {
    const out: RequestEvent[] = [];
    for (const e of all) {
      if (matchesFilter(e, filter)) out.push(e);
      if (out.length >= MAX_ROWS) break;
    }
    return out;
  }, [all, filter]);
  const viewport = useViewport();
  const first = Math.max(0, Math.floor(viewport.top / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((viewport.top + viewport.height) / ROW_HEIGHT) + OVERSCAN);

  return (
    <section className="view live-view">
      <header className="toolbar">
        <button type="button" className={store.paused ? 'primary' : ''} onClick={() => store.setPaused(!store.paused)} data-testid="pause">
          {store.paused ? `▶ ${t('live.resume')}` : `❚❚ ${t('live.pause')}`}
        </button>
        <button type="button" onClick={() => store.clear()}>
          {t('live.clear')}
        </button>
        <input
          type="search"
          className="grow"
          placeholder={t('live.filter')}
          value={filter.text}
          onChange={(e) => setFilter({ ...filter, text: e.target.value })}
          data-testid="live-filter"
        />
        <select value={filter.status} onChange={(e) => setFilter({ ...filter, status: e.target.value as LiveFilter['status'] })} aria-label={t('live.status')} data-testid="status-filter">
          <option value="all">{t('common.all')}</option>
          <option value="ok">{t('live.status.ok')}</option>
          <option value="error">{t('live.status.error')}</option>
        </select>
        <span className="meter">
          <b data-testid="rate">{store.rate().toFixed(1)}</b> {t('live.rate')} · <b data-testid="shown">{rows.length}</b> {t('live.shown')}
          {store.paused && store.pendingWhilePaused() > 0 ? (
            <>
              {' '}
              · <b className="warn">{store.pendingWhilePaused()}</b> {t('live.pending')}
            </>
          ) : null}
        </span>
      </header>
      <div className="table-wrap" ref={viewport.ref}>
        <table className="grid live" data-testid="live-table">
          <thead>
            <tr>
              <th>{t('col.time')}</th>
              <th>{t('col.who')}</th>
              <th>{t('col.route')}</th>
              <th>{t('col.rule')}</th>
              <th className="num">{t('col.status')}</th>
              <th className="num">{t('col.latency')}</th>
              <th className="num">{t('col.tokens')}</th>
              <th className="num">{t('col.cost')}</th>
              <th>{t('col.redactions')}</th>
            </tr>
          </thead>
          <tbody>
            {first > 0 ? <tr className="spacer" aria-hidden="true" style={{ height: first * ROW_HEIGHT }} /> : null}
            {rows.slice(first, last).map((e) => (
              <LiveRow key={e.trace_id} event={e} selected={selected?.trace_id === e.trace_id} onSelect={setSelected} />
            ))}
            {last < rows.length ? <tr className="spacer" aria-hidden="true" style={{ height: (rows.length - last) * ROW_HEIGHT }} /> : null}
          </tbody>
        </table>
        {rows.length === 0 ? <p className="empty">{t('live.empty')}</p> : null}
      </div>
      {selected ? <RequestDrawer event={selected} onClose={() => setSelected(null)} /> : null}
    </section>
  );
}

function RequestDrawer({ event: e, onClose }: { event: RequestEvent; onClose: () => void }): React.JSX.Element {
  const { t } = useI18n();
  const decision = e.decision ?? null;
  const { conditions, candidates, ...rest } = (decision ?? {}) as Record<string, unknown>;
  return (
    <aside className="drawer" aria-label={t('drawer.title')} data-testid="drawer">
      <header>
        <h2>
          {t('drawer.title')} <StatusBadge status={e.status} />
        </h2>
        <button type="button" onClick={onClose} aria-label={t('common.close')}>
          ✕
        </button>
      </header>
      <dl className="kv">
        <dt>{t('drawer.trace')}</dt>
        <dd className="mono selectable" data-testid="drawer-trace">{e.trace_id}</dd>
        <dt>{t('col.time')}</dt>
        <dd className="mono">{new Date(e.ts).toISOString()}</dd>
        <dt>{t('col.who')}</dt>
        <dd>{`${e.tenant ?? '—'} / ${e.user ?? '—'}`}</dd>
        <dt>{t('drawer.api')}</dt>
        <dd className="mono">{e.api}</dd>
        <dt>{t('col.route')}</dt>
        <dd className="mono">{`${e.requested_model ?? '—'} → ${e.endpoint ?? '—'} (${e.provider ?? '—'})`}</dd>
        <dt>{t('drawer.upstreamModel')}</dt>
        <dd className="mono">{e.upstream_model ?? '—'}</dd>
        <dt>{t('col.rule')}</dt>
        <dd className="mono">{e.rule ?? '—'}</dd>
        {e.error_code ? (
          <>
            <dt>{t('drawer.error')}</dt>
            <dd className="mono warn">{e.error_code}</dd>
          </>
        ) : null}
        <dt>{t('drawer.timing')}</dt>
        <dd className="mono">
          {formatMs(e.latency_ms)} = {t('drawer.upstream')} {formatMs(e.upstream_ms)} + {t('drawer.gateway')} {formatMs(e.gateway_ms)}
        </dd>
        <dt>{t('col.tokens')}</dt>
        <dd className="mono">
          {formatInt(e.prompt_tokens)} + {formatInt(e.completion_tokens)} = {formatInt(e.total_tokens)}
        </dd>
        <dt>{t('col.cost')}</dt>
        <dd className="mono">{formatUsd(e.cost_usd)}</dd>
        <dt>{t('drawer.stream')}</dt>
        <dd>{e.stream ? '✓' : '—'}</dd>
        <dt>{t('drawer.cache')}</dt>
        <dd>{e.cache_hit ? '✓' : '—'}</dd>
        <dt>{t('col.redactions')}</dt>
        <dd>
          <RedactionBadges redactions={e.redactions} />
        </dd>
      </dl>
      <h3>{t('drawer.decision')}</h3>
      {decision === null ? (
        <p className="dim">{t('drawer.noDecision')}</p>
      ) : (
        <>
          {conditions !== undefined ? (
            <>
              <h4>{t('drawer.conditions')}</h4>
              <Facts value={conditions} />
            </>
          ) : null}
          {candidates !== undefined ? (
            <>
              <h4>{t('drawer.candidates')}</h4>
              <Facts value={candidates} />
            </>
          ) : null}
          {Object.keys(rest).length > 0 ? <Facts value={rest} /> : null}
        </>
      )}
      <h4>{t('drawer.fallbacks')}</h4>
      {e.fallbacks.length === 0 ? <p className="dim">{t('common.none')}</p> : <ol className="mono">{e.fallbacks.map((f, i) => <li key={i}>{f}</li>)}</ol>}
    </aside>
  );
}
