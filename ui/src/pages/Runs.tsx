import { useVirtualizer } from "@tanstack/react-virtual";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useLocation } from "wouter";
import { api, ApiError, Columns, Experiment, RunGroup, TableRow } from "../api";
import { ColumnChooser, ColumnRef, columnId, parseColumnId } from "../components/ColumnChooser";
import { FilterBox } from "../components/FilterBox";
import { formatNumber, formatSpan, formatTime, quoteKey, quoteValue } from "../format";
import { RunQuery, TreeRow, treeRows, useChildRuns } from "../runTree";
import { listParam, useUrlState } from "../urlState";

const PAGE = 200;
const ROW_HEIGHT = 32;
const NO_COLUMNS: Columns = { params: [], metrics: [], tags: [] };
const KIND_NAMES = { m: "metrics", p: "params", t: "tags", a: "attributes" } as const;
const ATTRIBUTE_COLUMNS = [
  { key: "run_name", label: "Run", width: 220 },
  { key: "status", label: "Status", width: 100 },
  { key: "start_time", label: "Started", width: 150 },
  { key: "duration", label: "Duration", width: 90 },
  { key: "user_id", label: "User", width: 110 },
];

interface Sort {
  id: string; // "a.start_time", "m.loss", ...
  desc: boolean;
}

function parseSort(text: string | null): Sort {
  if (!text) return { id: "a.start_time", desc: true };
  const desc = text.endsWith(":desc");
  return { id: text.replace(/:(asc|desc)$/, ""), desc };
}

function orderBy(sort: Sort): string {
  const kind = sort.id.slice(0, 1) as keyof typeof KIND_NAMES;
  const key = sort.id.slice(2);
  return `${quoteKey(KIND_NAMES[kind], key)} ${sort.desc ? "DESC" : "ASC"}`;
}

function defaultColumns(columns: Columns): ColumnRef[] {
  return [
    ...columns.metrics.slice(0, 6).map((key) => ({ kind: "m" as const, key })),
    ...columns.params.slice(0, 6).map((key) => ({ kind: "p" as const, key })),
    ...columns.tags
      .filter((key) => !key.startsWith("mlflow."))
      .slice(0, 3)
      .map((key) => ({ kind: "t" as const, key })),
  ];
}

function keysOfRows(rows: TableRow[]): Columns {
  const keys = (pick: (row: TableRow) => object) => [...new Set(rows.flatMap((row) => Object.keys(pick(row))))].sort();
  return { metrics: keys((r) => r.metrics), params: keys((r) => r.params), tags: keys((r) => r.tags) };
}

/** Pages of rows loaded on demand as the table scrolls; a new query drops them all. */
function useRunPages(query: RunQuery | null, reload: number) {
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [, setVersion] = useState(0);
  const pages = useRef(new Map<number, TableRow[] | "loading">());
  const key = JSON.stringify([query, reload]);

  useEffect(() => {
    pages.current = new Map();
    setTotal(null);
    setError(null);
    if (!query) return;
    let live = true;
    pages.current.set(0, "loading");
    api
      .runTable({ ...query, offset: 0, limit: PAGE, count: true })
      .then((page) => {
        if (!live) return;
        pages.current.set(0, page.runs);
        setTotal(page.total ?? page.runs.length);
      })
      .catch((exc: ApiError) => live && setError(exc));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  const ensure = useCallback(
    (index: number) => {
      const page = Math.floor(index / PAGE);
      if (!query || pages.current.has(page)) return;
      const snapshot = pages.current;
      snapshot.set(page, "loading");
      api
        .runTable({ ...query, offset: page * PAGE, limit: PAGE, count: false })
        .then((found) => {
          if (pages.current !== snapshot) return;
          snapshot.set(page, found.runs);
          setVersion((v) => v + 1);
        })
        .catch((exc: ApiError) => setError(exc));
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [key],
  );

  const row = (index: number): TableRow | undefined => {
    const page = pages.current.get(Math.floor(index / PAGE));
    return Array.isArray(page) ? page[index % PAGE] : undefined;
  };
  /** Where the loaded rows among these runs are (runs on pages not loaded yet are left out). */
  const indexOf = (runIds: Set<string>): Map<string, number> => {
    const found = new Map<string, number>();
    if (!runIds.size) return found;
    for (const [page, rows] of pages.current) {
      if (!Array.isArray(rows)) continue;
      rows.forEach((run, offset) => runIds.has(run.run_id) && found.set(run.run_id, page * PAGE + offset));
    }
    return found;
  };
  const firstPage = pages.current.get(0);
  return { total, error, row, ensure, indexOf, firstPage: Array.isArray(firstPage) ? firstPage : null };
}

export function RunsPage({ experimentId }: { experimentId: string }) {
  const [state, setState] = useUrlState();
  const [, navigate] = useLocation();
  const filter = state.get("filter") ?? "";
  const view = state.get("view") ?? "ACTIVE_ONLY";
  const sort = parseSort(state.get("sort"));
  const selected = useMemo(() => new Set(listParam(state, "sel")), [state]);
  const groupParam = state.get("group") ?? "";
  // Child runs sit under their parents unless turned off; a filter shows its matches flat, as MLflow does.
  const nestChildren = state.get("nest") !== "off";
  const nested = nestChildren && !filter;
  const expanded = useMemo(() => new Set(listParam(state, "open")), [state]);
  const [experiment, setExperiment] = useState<Experiment | null>(null);
  const [columns, setColumns] = useState<Columns | null>(null);
  const [groups, setGroups] = useState<RunGroup[] | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    api.getExperiment(experimentId).then((found) => setExperiment(found.experiment)).catch((exc: ApiError) => setActionError(exc.message));
    api.columns(experimentId).then(setColumns).catch(() => setColumns(NO_COLUMNS));
  }, [experimentId]);

  // Columns named in the URL; without them the table asks for every key of each page (no wait for the
  // column discovery) and shows the first metrics and params.
  const urlChosen: ColumnRef[] | null = useMemo(() => {
    const fromUrl = state.get("cols");
    if (fromUrl === null) return null;
    const order = { m: 0, p: 1, t: 2 };
    return fromUrl
      .split(",")
      .filter(Boolean)
      .map((id) => parseColumnId(decodeURIComponent(id)))
      .filter((c): c is ColumnRef => c !== null)
      .sort((a, b) => order[a.kind] - order[b.kind]);
  }, [state]);

  const query = useMemo((): RunQuery => {
    const keysOf = (kind: ColumnRef["kind"]) => urlChosen?.filter((c) => c.kind === kind).map((c) => c.key);
    const tags = keysOf("t");
    return {
      experiment_ids: [experimentId],
      filter: filter || undefined,
      order_by: [orderBy(sort)],
      view_type: view,
      params: keysOf("p"),
      metrics: keysOf("m"),
      tags: tags && [...tags, "mlflow.user"].filter((k, i, all) => all.indexOf(k) === i),
      top_level_only: nested || undefined,
    };
  }, [experimentId, filter, sort.id, sort.desc, view, urlChosen, nested]);
  const pages = useRunPages(query, reload);
  const children = useChildRuns(nested ? query : null, expanded, reload);
  const tree = nested
    ? treeRows(pages.total ?? 0, pages.row, pages.indexOf, expanded, children)
    : { count: pages.total ?? 0, at: (index: number): TreeRow => ({ run: pages.row(index), depth: 0, topIndex: index }) };
  const toggleOpen = (runId: string) =>
    setState({ open: expanded.has(runId) ? [...expanded].filter((id) => id !== runId).join(",") : [...expanded, runId].join(",") });
  const chosen: ColumnRef[] = useMemo(
    () => urlChosen ?? defaultColumns(columns ?? keysOfRows(pages.firstPage ?? [])),
    [urlChosen, columns, pages.firstPage],
  );

  // Groups show the range of the metric the table is sorted by, else of its first metric column.
  const groupMetric = sort.id.startsWith("m.") ? sort.id.slice(2) : chosen.find((c) => c.kind === "m")?.key;
  useEffect(() => {
    if (!groupParam) {
      setGroups(null);
      return;
    }
    let live = true;
    api
      .groups(experimentId, groupParam, groupMetric, filter, view)
      .then((found) => live && setGroups(found.groups))
      .catch(() => live && setGroups([]));
    return () => {
      live = false;
    };
  }, [experimentId, groupParam, groupMetric, filter, view, reload]);

  const setChosen = (next: ColumnRef[]) => setState({ cols: next.map((c) => encodeURIComponent(columnId(c))).join(",") || "," });
  const setSelected = (next: Set<string>) => setState({ sel: [...next].join(",") || null });
  const toggleSort = (id: string) =>
    setState({ sort: `${id}:${sort.id === id && sort.desc ? "asc" : sort.id === id ? "desc" : id.startsWith("a.") ? "asc" : "desc"}` });
  const addClause = (clause: string) => setState({ filter: filter ? `${filter} and ${clause}` : clause });

  const bulk = (action: (id: string) => Promise<unknown>) => {
    Promise.all([...selected].map(action))
      .then(() => {
        setSelected(new Set());
        setReload((r) => r + 1);
      })
      .catch((exc: ApiError) => setActionError(exc.message));
  };

  const filterError = pages.error && pages.error.status === 400 ? { message: pages.error.message, position: pages.error.position } : null;
  const template = [40, ...ATTRIBUTE_COLUMNS.map((c) => c.width), ...chosen.map(() => 130)].map((w) => `${w}px`).join(" ");

  return (
    <main className="page fill">
      <div className="crumbs">
        <Link href="/">Experiments</Link> /
      </div>
      <div className="row">
        <h1>{experiment?.name ?? `Experiment ${experimentId}`}</h1>
        <span className="muted" data-testid="run-count">
          {pages.total === null ? "" : `${pages.total.toLocaleString("en-US")} run${pages.total === 1 ? "" : "s"}`}
          {selected.size ? ` · ${selected.size} selected` : ""}
        </span>
      </div>
      <div className="toolbar">
        <FilterBox value={filter} columns={columns ?? NO_COLUMNS} error={filterError} onApply={(text) => setState({ filter: text })} />
        <select aria-label="Lifecycle" value={view} onChange={(event) => setState({ view: event.target.value, sel: null })}>
          <option value="ACTIVE_ONLY">Active</option>
          <option value="DELETED_ONLY">Deleted</option>
          <option value="ALL">All</option>
        </select>
        <select aria-label="Group by param" value={groupParam} onChange={(event) => setState({ group: event.target.value })}>
          <option value="">No grouping</option>
          {(columns?.params ?? []).map((key) => (
            <option key={key} value={key}>
              Group by {key}
            </option>
          ))}
        </select>
        <ColumnChooser available={columns ?? NO_COLUMNS} chosen={chosen} onChange={setChosen} />
        <label className="check" title="Show child runs (mlflow.parentRunId) under their parent run">
          <input type="checkbox" checked={nestChildren} onChange={() => setState({ nest: nestChildren ? "off" : null })} />
          Nest child runs
        </label>
        {nestChildren && filter && (
          <span className="muted hint" data-testid="nest-hint">
            Filtered: matches listed flat
          </span>
        )}
        <button className="primary" disabled={selected.size < 2} onClick={() => navigate(`/compare?runs=${[...selected].join(",")}`)}>
          Compare{selected.size ? ` (${selected.size})` : ""}
        </button>
        {view === "DELETED_ONLY" ? (
          <button disabled={!selected.size} onClick={() => bulk(api.restoreRun)}>
            Restore
          </button>
        ) : (
          <button className="danger" disabled={!selected.size} onClick={() => window.confirm(`Delete ${selected.size} run(s)?`) && bulk(api.deleteRun)}>
            Delete
          </button>
        )}
      </div>
      {groups && (
        <table className="plain groups" aria-label="Groups">
          <thead>
            <tr>
              <th>{groupParam}</th>
              <th className="num">runs</th>
              {groupMetric && (
                <>
                  <th className="num">min {groupMetric}</th>
                  <th className="num">mean</th>
                  <th className="num">max</th>
                </>
              )}
            </tr>
          </thead>
          <tbody>
            {groups.map((group) => (
              <tr key={String(group.value)}>
                <td>
                  {group.value === null ? (
                    <span className="muted">(not set)</span>
                  ) : (
                    <button className="link" title="Show only this group" onClick={() => addClause(`${quoteKey("params", groupParam)} = ${quoteValue(group.value!)}`)}>
                      {group.value}
                    </button>
                  )}
                </td>
                <td className="num">{group.count.toLocaleString("en-US")}</td>
                {groupMetric && (
                  <>
                    <td className="num">{formatNumber(group.min)}</td>
                    <td className="num">{formatNumber(group.mean)}</td>
                    <td className="num">{formatNumber(group.max)}</td>
                  </>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {actionError && <p className="error">{actionError}</p>}
      {pages.error && !filterError && <p className="error">{pages.error.message}</p>}
      <RunsGrid
        pages={pages}
        tree={tree}
        nested={nested}
        expanded={expanded}
        onToggleOpen={toggleOpen}
        template={template}
        chosen={chosen}
        sort={sort}
        selected={selected}
        onSort={toggleSort}
        onSelect={setSelected}
        onOpen={(id) => navigate(`/runs/${id}`)}
        onFilterTag={(key, value) => addClause(`${quoteKey("tags", key)} = ${quoteValue(value)}`)}
        emptyText={filter ? "No runs match the filter." : view === "ACTIVE_ONLY" ? "No runs in this experiment yet." : "No runs."}
      />
    </main>
  );
}

const KIND_LABELS = { m: "Metrics", p: "Params", t: "Tags" } as const;

/** Runs of columns of one kind, for the group labels above the column names. */
function kindSpans(columns: ColumnRef[]): { kind: ColumnRef["kind"]; start: number; count: number }[] {
  const spans: { kind: ColumnRef["kind"]; start: number; count: number }[] = [];
  columns.forEach((column, index) => {
    const last = spans[spans.length - 1];
    if (last && last.kind === column.kind) last.count += 1;
    else spans.push({ kind: column.kind, start: index, count: 1 });
  });
  return spans;
}

interface GridProps {
  pages: ReturnType<typeof useRunPages>;
  tree: { count: number; at: (index: number) => TreeRow };
  nested: boolean;
  expanded: Set<string>;
  onToggleOpen: (runId: string) => void;
  template: string;
  chosen: ColumnRef[];
  sort: Sort;
  selected: Set<string>;
  onSort: (id: string) => void;
  onSelect: (next: Set<string>) => void;
  onOpen: (runId: string) => void;
  onFilterTag: (key: string, value: string) => void;
  emptyText: string;
}

function RunsGrid(props: GridProps) {
  const { pages, tree, nested, expanded, onToggleOpen, template, chosen, sort, selected, onSort, onSelect, onOpen, onFilterTag, emptyText } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(0);
  const count = tree.count;
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
  });
  const items = virtualizer.getVirtualItems();
  useEffect(() => {
    for (const item of items) pages.ensure(tree.at(item.index).topIndex);
  });

  const toggle = (runId: string) => {
    const next = new Set(selected);
    if (next.has(runId)) next.delete(runId);
    else next.add(runId);
    onSelect(next);
  };

  const onKeyDown = (event: React.KeyboardEvent) => {
    if ((event.target as HTMLElement) !== scroller.current) return;
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: 20, PageUp: -20, Home: -count, End: count };
    if (event.key in moves) {
      event.preventDefault();
      const next = Math.max(0, Math.min(count - 1, active + moves[event.key]));
      setActive(next);
      virtualizer.scrollToIndex(next);
    } else if (event.key === "Enter" || event.key === " ") {
      const run = tree.at(active).run;
      if (!run) return;
      event.preventDefault();
      if (event.key === "Enter") onOpen(run.run_id);
      else toggle(run.run_id);
    }
  };

  const header = (id: string, label: React.ReactNode, numeric = false) => (
    <div className={`cell${numeric ? " num" : ""}`} role="columnheader" aria-sort={sort.id === id ? (sort.desc ? "descending" : "ascending") : "none"} key={id}>
      <button onClick={() => onSort(id)} title={`Sort by ${id.slice(2)}`} aria-label={`Sort by ${id.slice(2)}`}>
        {label}
        {sort.id === id ? (sort.desc ? " ↓" : " ↑") : ""}
      </button>
    </div>
  );
  const loadedIds = items.map((item) => tree.at(item.index).run?.run_id).filter((id): id is string => !!id);
  const allShownSelected = loadedIds.length > 0 && loadedIds.every((id) => selected.has(id));

  return (
    <div
      className="grid-wrap"
      ref={scroller}
      tabIndex={0}
      role="grid"
      aria-rowcount={count}
      aria-label="Runs"
      onKeyDown={onKeyDown}
    >
      <div className="grid-head" role="row" style={{ gridTemplateColumns: template }}>
        {kindSpans(chosen).map((span) => (
          <div key={span.kind} className="group-label" style={{ gridColumn: `${span.start + ATTRIBUTE_COLUMNS.length + 2} / span ${span.count}` }}>
            {KIND_LABELS[span.kind]}
          </div>
        ))}
        <div className="cell">
          <input
            type="checkbox"
            aria-label="Select the visible runs"
            checked={allShownSelected}
            onChange={() => {
              const next = new Set(selected);
              for (const id of loadedIds) allShownSelected ? next.delete(id) : next.add(id);
              onSelect(next);
            }}
          />
        </div>
        {ATTRIBUTE_COLUMNS.map((column) =>
          column.key === "duration" ? ( // not a stored attribute: the server cannot sort by it
            <div className="cell" role="columnheader" key="duration">
              {column.label}
            </div>
          ) : (
            header(`a.${column.key}`, column.label)
          ),
        )}
        {chosen.map((column) =>
          header(
            columnId(column),
            column.key,
            column.kind === "m",
          ),
        )}
      </div>
      {pages.total === 0 && <p className="muted" style={{ padding: "8px 12px" }}>{emptyText}</p>}
      <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
        {items.map((item) => {
          const { run, depth } = tree.at(item.index);
          const classes = ["grid-row", run && selected.has(run.run_id) ? "selected" : "", item.index === active ? "active" : "", depth ? "child" : ""].join(" ");
          return (
            <div
              key={item.key}
              className={classes}
              role="row"
              aria-rowindex={item.index + 1}
              style={{ top: item.start, gridTemplateColumns: template }}
              onClick={() => setActive(item.index)}
            >
              {run ? (
                <>
                  <div className="cell">
                    <input type="checkbox" aria-label={`Select ${run.run_name}`} checked={selected.has(run.run_id)} onChange={() => toggle(run.run_id)} />
                  </div>
                  <div className="cell run-name" role="gridcell" style={depth ? { paddingLeft: 10 + depth * 20 } : undefined}>
                    {nested && <Expander run={run} depth={depth} open={expanded.has(run.run_id)} onToggle={onToggleOpen} />}
                    <Link href={`/runs/${run.run_id}`} title={run.run_name}>{run.run_name || run.run_id}</Link>
                  </div>
                  <div className="cell" role="gridcell">
                    <span className={`badge status-${run.status}`}>{run.status.toLowerCase()}</span>
                  </div>
                  <div className="cell muted" role="gridcell">{formatTime(run.start_time).slice(0, 16)}</div>
                  <div className="cell muted" role="gridcell">
                    {run.end_time || run.status === "RUNNING" ? formatSpan((run.end_time ?? Date.now()) - run.start_time) : ""}
                  </div>
                  <div className="cell muted" role="gridcell">{run.user_id || run.tags["mlflow.user"]}</div>
                  {chosen.map((column) => (
                    <div key={columnId(column)} className={`cell${column.kind === "m" ? " num" : ""}`} role="gridcell">
                      {column.kind === "m" ? (
                        formatNumber(run.metrics[column.key])
                      ) : column.kind === "p" ? (
                        <span title={run.params[column.key]}>{run.params[column.key]}</span>
                      ) : run.tags[column.key] !== undefined ? (
                        <button className="tagval" title="Filter by this value" onClick={() => onFilterTag(column.key, run.tags[column.key])}>
                          {run.tags[column.key]}
                        </button>
                      ) : null}
                    </div>
                  ))}
                </>
              ) : (
                <div className="cell muted">…</div>
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}

/** "▸ 6" on a run with six child runs; a run without any keeps the space (a child marks it "└"), so names
 * line up. */
function Expander({ run, depth, open, onToggle }: { run: TableRow; depth: number; open: boolean; onToggle: (runId: string) => void }) {
  const children = run.child_count ?? 0;
  if (!children) return <span className="expander" aria-hidden="true">{depth ? "└" : ""}</span>;
  return (
    <button
      className="expander"
      aria-expanded={open}
      aria-label={`${open ? "Collapse" : "Expand"} ${run.run_name || run.run_id}`}
      title={`${children} child run${children === 1 ? "" : "s"}`}
      onClick={(event) => {
        event.stopPropagation();
        onToggle(run.run_id);
      }}
    >
      {open ? "▾" : "▸"} {children}
    </button>
  );
}
