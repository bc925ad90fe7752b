// Small status and redaction markers used in tables.

export function StatusBadge({ status }: { status: number }): React.JSX.Element {
  const kind = status >= 500 ? 'err' : status >= 400 ? 'warn' : 'ok';
  return <span className={`status ${kind}`}>{status}</span>;
}

/** { "EMAIL:mask": 2 } → EMAIL×2 badges, colored by action. Counts only: never values. */
export function RedactionBadges({ redactions }: { redactions: Record<string, number> }): React.JSX.Element {
  const entries = Object.entries(redactions ?? {});
  if (entries.length === 0) return <span className="dim">—</span>;
  return (
    <span className="badges">
      {entries.map(([key, count]) => {
        const [type, action = 'mask'] = key.split(':');
        return (
          <span key={key} className={`badge action-${action}`} title={`${type} · ${action} · ${count}`}>
            {type}
            {count > 1 ? `×${count}` : ''}
          </span>
        );
      })}
    </span>
  );
}
