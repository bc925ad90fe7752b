// Renders free-form JSON facts (a routing decision, conditions, candidates) readably:
// arrays of objects become tables, objects become definition lists.

export function Facts({ value }: { value: unknown }): React.JSX.Element {
  if (value === null || value === undefined) return <span className="dim">—</span>;
  if (Array.isArray(value)) {
    if (value.length === 0) return <span className="dim">[]</span>;
    if (value.every((v) => v !== null && typeof v === 'object' && !Array.isArray(v))) {
      const columns = [...new Set(value.flatMap((v) => Object.keys(v as object)))];
      return (
        <table className="facts-table">
          <thead>
            <tr>{columns.map((c) => <th key={c}>{c}</th>)}</tr>
          </thead>
          <tbody>
            {value.map((row, i) => (
              <tr key={i}>
                {columns.map((c) => (
                  <td key={c}>
                    <Facts value={(row as Record<string, unknown>)[c]} />
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      );
    }
    return <span>{value.map((v) => scalar(v)).join(', ')}</span>;
  }
  if (typeof value === 'object') {
    return (
      <dl className="facts">
        {Object.entries(value as Record<string, unknown>).map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>
              <Facts value={v} />
            </dd>
          </div>
        ))}
      </dl>
    );
  }
  return <span className={typeof value === 'boolean' ? (value ? 'yes' : 'no') : undefined}>{scalar(value)}</span>;
}

function scalar(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(4).replace(/0+$/, '');
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}
