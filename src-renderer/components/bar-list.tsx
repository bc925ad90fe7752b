// Dense horizontal bars for "spend per X" and "p50/p95 per endpoint": label, bar, value.

export interface BarRow {
  key: string;
  label: string;
  value: number;
  /** Optional second, lighter value drawn behind (e.g. p95 behind p50). */
  secondary?: number;
  detail?: string;
}

export function BarList({ rows, format, emptyText }: { rows: readonly BarRow[]; format: (v: number) => string; emptyText: string }): React.JSX.Element {
  if (rows.length === 0) return <p className="empty">{emptyText}</p>;
  const max = Math.max(...rows.map((r) => Math.max(r.value, r.secondary ?? 0)), 1e-9);
  return (
    <ul className="bars">
      {rows.map((r) => (
        <li key={r.key}>
          <span className="bar-label" title={r.label}>
            {r.label}
          </span>
          <span className="bar-track">
            {r.secondary !== undefined && <span className="bar-fill secondary" style={{ width: `${(100 * r.secondary) / max}%` }} />}
            <span className="bar-fill" style={{ width: `${(100 * r.value) / max}%` }} />
          </span>
          <span className="bar-value">
            {format(r.value)}
            {r.detail ? <small> {r.detail}</small> : null}
          </span>
        </li>
      ))}
    </ul>
  );
}
