/** A labelled value in the cards row at the top of a run's page. */
export function Card({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="card">
      <div className="label">{label}</div>
      <div className="value">{children || <span className="muted">—</span>}</div>
    </div>
  );
}

export function KeyValues({ items, empty, label }: { items: { key: string; value: React.ReactNode }[]; empty: string; label?: string }) {
  if (!items.length) return <p className="muted">{empty}</p>;
  return (
    <table className="plain" aria-label={label}>
      <tbody>
        {items.map((item) => (
          <tr key={item.key}>
            <td style={{ width: "40%", overflowWrap: "anywhere" }}>{item.key}</td>
            <td className="num" style={{ overflowWrap: "anywhere" }}>{item.value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
