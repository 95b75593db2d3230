import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useMemo, useRef, useState } from "react";
import { StateType, TaskRun } from "../api";
import { runDuration, STATE_TYPES } from "../flowState";
import { formatTime } from "../format";
import { StateBadge } from "./StateBadge";

const ROW_HEIGHT = 30;
const TEMPLATE = "minmax(180px, 2fr) 110px 170px 90px 56px minmax(150px, 1fr)";
const HEADER_HEIGHT = 33;
const MAX_HEIGHT = 360;

interface Props {
  taskRuns: TaskRun[];
  selectedId: string | null;
  onSelect: (id: string) => void;
}

/** A flow run's task runs, filtered by name and state; only the rows on screen are in the page. */
export function TaskRunsTable(props: Props) {
  if (!props.taskRuns.length) return <p className="muted">No task runs.</p>;
  return <FilteredTaskRuns {...props} />;
}

function FilteredTaskRuns({ taskRuns, selectedId, onSelect }: Props) {
  const [text, setText] = useState("");
  const [state, setState] = useState<StateType | "">("");
  const shown = useMemo(() => {
    const needle = text.trim().toLowerCase();
    return taskRuns.filter((task) => (!state || task.state_type === state) && (!needle || task.name.toLowerCase().includes(needle)));
  }, [taskRuns, text, state]);
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: shown.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 15 });
  const selectedIndex = shown.findIndex((task) => task.id === selectedId);
  useEffect(() => {
    if (selectedIndex >= 0) virtualizer.scrollToIndex(selectedIndex, { align: "auto" });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [selectedIndex]);

  const onKeyDown = (event: React.KeyboardEvent) => {
    if ((event.target as HTMLElement) !== scroller.current || !shown.length) return;
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: 15, PageUp: -15, Home: -shown.length, End: shown.length };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const next = Math.max(0, Math.min(shown.length - 1, Math.max(0, selectedIndex) + moves[event.key]));
    onSelect(shown[next].id);
  };

  return (
    <div className="task-runs">
      <div className="toolbar">
        <input type="search" aria-label="Filter task runs" placeholder="Filter by name" value={text} onChange={(event) => setText(event.target.value)} />
        <select aria-label="Task run state" value={state} onChange={(event) => setState(event.target.value as StateType | "")}>
          <option value="">Any state</option>
          {STATE_TYPES.map((type) => (
            <option key={type} value={type}>
              {type.toLowerCase()}
            </option>
          ))}
        </select>
        <span className="muted" data-testid="task-run-count">
          {shown.length === taskRuns.length ? `${taskRuns.length.toLocaleString("en-US")} task runs` : `${shown.length.toLocaleString("en-US")} of ${taskRuns.length.toLocaleString("en-US")} task runs`}
        </span>
      </div>
      <div
        className="grid-wrap named"
        style={{ height: Math.min(MAX_HEIGHT, HEADER_HEIGHT + (shown.length ? shown.length * ROW_HEIGHT : 40) + 2) }}
        ref={scroller} tabIndex={0} role="grid" aria-label="Task runs" aria-rowcount={shown.length} onKeyDown={onKeyDown}>
        <div className="grid-head single" role="row" style={{ gridTemplateColumns: TEMPLATE }}>
          {["Task run", "State", "Started", "Duration", "Runs", "Cache"].map((label) => (
            <div key={label} className={`cell${label === "Runs" ? " num" : ""}`} role="columnheader">
              {label}
            </div>
          ))}
        </div>
        {!shown.length && <p className="muted" style={{ padding: "8px 12px", margin: 0 }}>No task runs match.</p>}
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualizer.getVirtualItems().map((item) => {
            const task = shown[item.index];
            const selected = task.id === selectedId;
            return (
              <div
                key={task.id}
                className={`grid-row clickable${selected ? " selected" : ""}`}
                role="row"
                aria-selected={selected}
                aria-rowindex={item.index + 1}
                style={{ top: item.start, height: ROW_HEIGHT, gridTemplateColumns: TEMPLATE }}
                onClick={() => onSelect(task.id)}
              >
                <div className="cell" role="gridcell" title={task.name}>
                  {task.name}
                </div>
                <div className="cell" role="gridcell">
                  <StateBadge type={task.state_type} name={task.state_name} />
                </div>
                <div className="cell muted" role="gridcell">
                  {formatTime(task.start_ms)}
                </div>
                <div className="cell muted" role="gridcell">
                  {runDuration(task)}
                </div>
                <div className="cell num" role="gridcell">
                  {task.run_count}
                </div>
                <div className="cell" role="gridcell" title={task.cache_key ?? undefined}>
                  {task.state_name === "Cached" && <span className="badge">Cached</span>} {task.cache_key && <code>{task.cache_key.slice(0, 16)}</code>}
                </div>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
