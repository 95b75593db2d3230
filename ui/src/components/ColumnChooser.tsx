import { useEffect, useRef, useState } from "react";
import { Columns } from "../api";

export interface ColumnRef {
  kind: "m" | "p" | "t";
  key: string;
}

export const columnId = (column: ColumnRef) => `${column.kind}.${column.key}`;

export function parseColumnId(id: string): ColumnRef | null {
  const kind = id.slice(0, 1);
  if (id[1] !== "." || !["m", "p", "t"].includes(kind)) return null;
  return { kind: kind as ColumnRef["kind"], key: id.slice(2) };
}

interface Props {
  available: Columns;
  chosen: ColumnRef[];
  onChange: (columns: ColumnRef[]) => void;
}

/** A menu of checkboxes: Tab and Space work in it, Escape closes it and returns focus to its button. */
export function ColumnChooser({ available, chosen, onChange }: Props) {
  const [open, setOpen] = useState(false);
  const [search, setSearch] = useState("");
  const wrap = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent) => {
      if (!wrap.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", close);
    return () => document.removeEventListener("mousedown", close);
  }, [open]);

  const ids = new Set(chosen.map(columnId));
  const toggle = (column: ColumnRef) => {
    const id = columnId(column);
    onChange(ids.has(id) ? chosen.filter((c) => columnId(c) !== id) : [...chosen, column]);
  };
  const groups: [string, ColumnRef["kind"], string[]][] = [
    ["Metrics", "m", available.metrics],
    ["Params", "p", available.params],
    ["Tags", "t", available.tags.filter((key) => !key.startsWith("mlflow.") || ids.has(`t.${key}`) || search)],
  ];
  const lower = search.toLowerCase();

  return (
    <div
      className="menu-wrap"
      ref={wrap}
      onKeyDown={(event) => {
        if (event.key === "Escape") {
          setOpen(false);
          button.current?.focus();
        }
      }}
    >
      <button ref={button} aria-haspopup="true" aria-expanded={open} onClick={() => setOpen(!open)}>
        Columns ({chosen.length})
      </button>
      {open && (
        <div className="menu" role="dialog" aria-label="Choose columns">
          <input autoFocus type="search" placeholder="Find a key" aria-label="Find a column" value={search} onChange={(event) => setSearch(event.target.value)} style={{ width: "100%" }} />
          {groups.map(([title, kind, keys]) => {
            const shown = keys.filter((key) => key.toLowerCase().includes(lower));
            if (!shown.length) return null;
            return (
              <div key={kind}>
                <h3>{title}</h3>
                {shown.slice(0, 300).map((key) => (
                  <label key={key}>
                    <input type="checkbox" checked={ids.has(`${kind}.${key}`)} onChange={() => toggle({ kind, key })} />
                    {key}
                  </label>
                ))}
              </div>
            );
          })}
        </div>
      )}
    </div>
  );
}
