// Redaction log: what a security reviewer reads. Entity type, detector, score, action, where,
// the masked preview (as the daemon stored it: never a raw value) and the trace id; filters
// by entity type, time and user; export of what is shown to CSV or NDJSON.

import { useMemo, useState } from 'react';
import type { AuditPage, RedactionPage, RedactionRow } from '../../shared/schemas/audit.js';
import { ENTITY_TYPES } from '../../shared/schemas/redaction.js';
import { useAdminResource } from '../app-context.js';
import { formatDateTime } from '../format.js';
import { useI18n, type LabelKey } from '../i18n.js';
import { toCsv, toNdjson } from '../redaction-export.js';
import { Unavailable } from './unavailable.js';

const RANGES: Array<{ key: LabelKey; ms: number }> = [
  { key: 'range.15m', ms: 15 * 60_000 },
  { key: 'range.1h', ms: 3_600_000 },
  { key: 'range.24h', ms: 86_400_000 },
  { key: 'range.7d', ms: 7 * 86_400_000 },
];

/** A redaction-log row with who sent the request (joined from the request rows by trace id). */
type RedactionItem = RedactionRow & { user: string | null; tenant: string | null };

/** Highlights the masked parts of a preview: [EMAIL], <PERSON_1>, j***@… */
function MaskedPreview({ text }: { text: string | null }): React.JSX.Element {
  if (!text) return <span className="dim">—</span>;
  const parts = text.split(/(\[[A-Z0-9_]+\]|<[A-Z0-9_]+_\d+>|[*•]{2,})/);
  return (
    <span className="preview">
      {parts.map((p, i) => (i % 2 === 1 ? <mark key={i}>{p}</mark> : <span key={i}>{p}</span>))}
    </span>
  );
}

function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function RedactionView(): React.JSX.Element {
  const { t } = useI18n();
  const [entity, setEntity] = useState('');
  const [rangeMs, setRangeMs] = useState(RANGES[2]!.ms);
  const [user, setUser] = useState('');
  // Rounded to the minute so polling does not refetch a moving window every render.
  const [from] = useMemo(() => [Math.floor((Date.now() - rangeMs) / 60_000) * 60_000], [rangeMs]);
  const userFilter = user.trim() || undefined;
  const page = useAdminResource<RedactionPage>('/admin/redactions', { from, entity_type: entity || undefined, limit: 1000 }, 3000);
  // The redaction log names the request (trace id); the request rows name tenant and user.
  const requests = useAdminResource<AuditPage>('/admin/audit', { from, entity_type: entity || undefined, user: userFilter, limit: 1000 }, 3000);
  const rows = useMemo((): RedactionItem[] => {
    const who = new Map((requests.data?.items ?? []).map((r) => [r.trace_id, r]));
    return (page.data?.items ?? [])
      .filter((r) => userFilter === undefined || who.has(r.trace_id))
      .map((r) => ({ ...r, user: who.get(r.trace_id)?.user ?? null, tenant: who.get(r.trace_id)?.tenant ?? null }));
  }, [page.data, requests.data, userFilter]);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');

  return (
    <section className="view">
      <header className="toolbar">
        <select value={entity} onChange={(e) => setEntity(e.target.value)} aria-label={t('redaction.entity')} data-testid="entity-filter">
          <option value="">
            {t('redaction.entity')}: {t('common.all')}
          </option>
          {ENTITY_TYPES.map((type) => (
            <option key={type} value={type}>
              {type}
            </option>
          ))}
        </select>
        <select value={rangeMs} onChange={(e) => setRangeMs(Number(e.target.value))} aria-label={t('redaction.since')}>
          {RANGES.map((r) => (
            <option key={r.key} value={r.ms}>
              {t(r.key)}
            </option>
          ))}
        </select>
        <input type="search" placeholder={t('redaction.user')} value={user} onChange={(e) => setUser(e.target.value)} aria-label={t('redaction.user')} />
        <span className="grow dim small">{t('redaction.note')}</span>
        <button type="button" disabled={rows.length === 0} onClick={() => download(`kagami-redactions-${stamp}.csv`, 'text/csv', toCsv(rows))}>
          {t('redaction.exportCsv')}
        </button>
        <button type="button" disabled={rows.length === 0} onClick={() => download(`kagami-redactions-${stamp}.ndjson`, 'application/x-ndjson', toNdjson(rows))}>
          {t('redaction.exportNdjson')}
        </button>
      </header>
      {page.unavailable ? (
        <Unavailable path="/admin/redactions" />
      ) : page.error ? (
        <p className="error">{page.error}</p>
      ) : (
        <div className="table-wrap">
          <table className="grid" data-testid="redaction-table">
            <thead>
              <tr>
                <th>{t('col.time')}</th>
                <th>{t('col.entity')}</th>
                <th>{t('col.detector')}</th>
                <th className="num">{t('col.score')}</th>
                <th>{t('col.action')}</th>
                <th>{t('col.location')}</th>
                <th className="wide">{t('col.preview')}</th>
                <th>{t('col.who')}</th>
                <th>{t('col.trace')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <tr key={`${r.trace_id}:${i}`}>
                  <td className="mono dim">{formatDateTime(r.ts)}</td>
                  <td>
                    <span className="badge">{r.entity_type}</span>
                  </td>
                  <td className="mono">{r.detector}</td>
                  <td className="num mono">{r.score.toFixed(2)}</td>
                  <td>
                    <span className={`badge action-${r.action}`}>{r.action}</span>
                  </td>
                  <td className="mono dim">{r.location ?? '—'}{r.start !== null ? ` @${r.start}` : ''}</td>
                  <td>
                    <MaskedPreview text={r.preview} />
                  </td>
                  <td>
                    {r.tenant ?? '—'}
                    <span className="dim"> / {r.user ?? '—'}</span>
                  </td>
                  <td className="mono dim small selectable">{r.trace_id}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {rows.length === 0 && !page.loading ? <p className="empty">{t('redaction.empty')}</p> : null}
        </div>
      )}
    </section>
  );
}
