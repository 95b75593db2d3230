import { useVirtualizer } from "@tanstack/react-virtual";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useLocation } from "wouter";
import { ApiError, Flow, FlowRun, FlowRunFilter, orchestration, StateType } from "../api";
import { StateBadge } from "../components/StateBadge";
import { isLive, LIVE_REFRESH_MS, runDuration, STATE_TYPES } from "../flowState";
import { formatTime } from "../format";
import { listParam, useUrlState } from "../urlState";

const PAGE = 200;
const ROW_HEIGHT = 32;
const COLUMNS = [
  { label: "Flow run", width: 220 },
  { label: "Flow", width: 160 },
  { label: "State", width: 120 },
  { label: "Started", width: 150 },
  { label: "Duration", width: 90 },
  { label: "Tags", width: 220 },
  { label: "Tracked run", width: 110 },
];
const TEMPLATE = COLUMNS.map((c) => `${c.width}px`).join(" ") + " minmax(0, 1fr)";

/**
 * The flow runs matching a filter, newest first, loaded a page at a time as the list scrolls (the server
 * sends no total, so the list grows until a page comes back short). `refresh` fetches again everything
 * loaded so far, in one request.
 */
function useFlowRunPages(filter: FlowRunFilter) {
  const [rows, setRows] = useState<FlowRun[] | null>(null);
  const [done, setDone] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const generation = useRef(0);
  const loading = useRef(false);
  const key = JSON.stringify(filter);

  const load = useCallback(
    (offset: number, limit: number, replace: boolean) => {
      const ticket = generation.current;
      loading.current = true;
      orchestration
        .flowRuns(filter, offset, limit)
        .then((page) => {
          if (ticket !== generation.current) return;
          setRows((current) => (replace ? page.flow_runs : [...(current ?? []), ...page.flow_runs]));
          setDone(page.flow_runs.length < limit);
          setError(null);
        })
        .catch((exc: ApiError) => ticket === generation.current && setError(exc.message))
        .finally(() => {
          if (ticket === generation.current) loading.current = false;
        });
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [key],
  );

  useEffect(() => {
    generation.current += 1;
    setRows(null);
    setDone(false);
    load(0, PAGE, true);
  }, [load]);

  const more = () => {
    if (!done && !loading.current && rows) load(rows.length, PAGE, false);
  };
  const refresh = () => {
    if (!loading.current) load(0, Math.max(PAGE, rows?.length ?? 0), true);
  };
  return { rows, done, error, more, refresh };
}

export function FlowRunsPage() {
  const [state, setState] = useUrlState();
  const flowName = state.get("flow") ?? "";
  const states = listParam(state, "states") as StateType[];
  const topLevel = state.get("top") === "1";
  const [flows, setFlows] = useState<Flow[]>([]);
  useEffect(() => {
    orchestration.flows().then((found) => setFlows(found.flows), () => setFlows([]));
  }, []);

  const filter = useMemo((): FlowRunFilter => {
    const chosen: FlowRunFilter = {};
    if (flowName) chosen.flow_names = [flowName];
    if (states.length) chosen.state_types = states;
    if (topLevel) chosen.top_level_only = true;
    return chosen;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [flowName, states.join(","), topLevel]);
  const pages = useFlowRunPages(filter);
  const live = (pages.rows ?? []).some((run) => isLive(run.state_type));
  const refresh = useRef(pages.refresh);
  refresh.current = pages.refresh;
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => refresh.current(), LIVE_REFRESH_MS);
    return () => clearInterval(timer);
  }, [live]);

  const toggleState = (type: StateType) => {
    const next = states.includes(type) ? states.filter((s) => s !== type) : [...states, type];
    setState({ states: next.join(",") || null });
  };
  const count = pages.rows?.length ?? 0;

  return (
    <main className="page fill">
      <div className="row">
        <h1>Flow runs</h1>
        <span className="muted" data-testid="flow-run-count">
          {pages.rows === null ? "" : `${count.toLocaleString("en-US")}${pages.done ? "" : "+"} flow run${count === 1 ? "" : "s"}`}
        </span>
        {live && <span className="muted">live · refreshes every {LIVE_REFRESH_MS / 1000}s</span>}
      </div>
      <div className="toolbar center">
        <select aria-label="Flow" value={flowName} onChange={(event) => setState({ flow: event.target.value || null })}>
          <option value="">All flows</option>
          {flows.map((flow) => (
            <option key={flow.id} value={flow.name}>
              {flow.name}
            </option>
          ))}
        </select>
        <div className="row" role="group" aria-label="States">
          {STATE_TYPES.map((type) => (
            <button key={type} className={`chip state-${type}`} aria-pressed={states.includes(type)} onClick={() => toggleState(type)}>
              {type.toLowerCase()}
            </button>
          ))}
        </div>
        <label className="row">
          <input type="checkbox" checked={topLevel} onChange={(event) => setState({ top: event.target.checked ? "1" : null })} />
          Top-level only
        </label>
      </div>
      {pages.error && <p className="error">{pages.error}</p>}
      <FlowRunsGrid
        rows={pages.rows ?? []}
        hasMore={!pages.done}
        onMore={pages.more}
        emptyText={pages.rows === null ? "Loading…" : flowName || states.length || topLevel ? "No flow runs match." : "No flow runs yet."}
      />
    </main>
  );
}

interface GridProps {
  rows: FlowRun[];
  hasMore: boolean;
  onMore: () => void;
  emptyText: string;
}

function FlowRunsGrid({ rows, hasMore, onMore, emptyText }: GridProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const [, navigate] = useLocation();
  const [active, setActive] = useState(0);
  const count = rows.length + (hasMore && rows.length ? 1 : 0); // the last row stands for the next page
  const virtualizer = useVirtualizer({ count, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 20 });
  const items = virtualizer.getVirtualItems();
  const last = items[items.length - 1];
  useEffect(() => {
    if (last && last.index >= rows.length - 1 && hasMore) onMore();
  });

  const onKeyDown = (event: React.KeyboardEvent) => {
    if ((event.target as HTMLElement) !== scroller.current) return;
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: 20, PageUp: -20, Home: -count, End: count };
    if (event.key in moves) {
      event.preventDefault();
      const next = Math.max(0, Math.min(rows.length - 1, active + moves[event.key]));
      setActive(next);
      virtualizer.scrollToIndex(next);
    } else if (event.key === "Enter" && rows[active]) {
      event.preventDefault();
      navigate(`/flow-runs/${rows[active].id}`);
    }
  };

  return (
    <div className="grid-wrap named" ref={scroller} tabIndex={0} role="grid" aria-label="Flow runs" aria-rowcount={rows.length} onKeyDown={onKeyDown}>
      <div className="grid-head single" role="row" style={{ gridTemplateColumns: TEMPLATE }}>
        {COLUMNS.map((column) => (
          <div className="cell" role="columnheader" key={column.label}>
            {column.label}
          </div>
        ))}
      </div>
      {rows.length === 0 && <p className="muted" style={{ padding: "8px 12px" }}>{emptyText}</p>}
      <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
        {items.map((item) => {
          const run = rows[item.index];
          return (
            <div
              key={item.key}
              className={`grid-row${item.index === active ? " active" : ""}`}
              role="row"
              aria-rowindex={item.index + 1}
              style={{ top: item.start, gridTemplateColumns: TEMPLATE }}
              onClick={() => setActive(item.index)}
            >
              {run ? <FlowRunCells run={run} /> : <div className="cell muted">Loading more…</div>}
            </div>
          );
        })}
      </div>
    </div>
  );
}

function FlowRunCells({ run }: { run: FlowRun }) {
  return (
    <>
      <div className="cell" role="gridcell">
        {run.parent_flow_run_id && <span className="muted" title="A subflow run">↳ </span>}
        <Link href={`/flow-runs/${run.id}`} title={run.name}>
          {run.name}
        </Link>
      </div>
      <div className="cell" role="gridcell" title={run.flow_name}>
        {run.flow_name}
      </div>
      <div className="cell" role="gridcell">
        <StateBadge type={run.state_type} name={run.state_name} />
      </div>
      <div className="cell muted" role="gridcell">
        {formatTime(run.start_ms).slice(0, 16)}
      </div>
      <div className="cell muted" role="gridcell">
        {runDuration(run)}
      </div>
      <div className="cell" role="gridcell" title={run.tags.join(", ")}>
        {run.tags.map((tag) => (
          <span key={tag} className="badge tag">
            {tag}
          </span>
        ))}
      </div>
      <div className="cell" role="gridcell">
        {run.tracking_run_id && (
          <Link href={`/runs/${run.tracking_run_id}`} title={`Tracked run ${run.tracking_run_id}`} aria-label={`Tracked run of ${run.name}`}>
            {run.tracking_run_id.slice(0, 8)}
          </Link>
        )}
      </div>
      <div className="cell" />
    </>
  );
}
