import { TaskEdge, TaskRun } from "../api";
import { runDuration } from "../flowState";
import { formatTime } from "../format";
import { StateBadge } from "./StateBadge";

/** Which task runs feed which: upstream (with the input each fed) and downstream ids per task run. */
export interface Dependencies {
  upstream: Map<string, { id: string; input: string }[]>;
  downstream: Map<string, { id: string; input: string }[]>;
}

export function dependencies(edges: TaskEdge[], taskRuns: TaskRun[]): Dependencies {
  const upstream = new Map<string, { id: string; input: string }[]>();
  const downstream = new Map<string, { id: string; input: string }[]>();
  const add = (into: typeof upstream, key: string, value: { id: string; input: string }) => {
    const list = into.get(key);
    if (list) list.push(value);
    else into.set(key, [value]);
  };
  const seen = new Set<string>();
  for (const edge of edges) {
    seen.add(`${edge.task_run_id} ${edge.upstream_task_run_id}`);
    add(upstream, edge.task_run_id, { id: edge.upstream_task_run_id, input: edge.input_name });
    add(downstream, edge.upstream_task_run_id, { id: edge.task_run_id, input: edge.input_name });
  }
  // a record's own list covers what the edge rows do not (wait_for written before the edges)
  for (const task of taskRuns) {
    for (const id of task.upstream_task_run_ids) {
      if (seen.has(`${task.id} ${id}`)) continue;
      add(upstream, task.id, { id, input: "" });
      add(downstream, id, { id: task.id, input: "" });
    }
  }
  return { upstream, downstream };
}

interface Props {
  task: TaskRun;
  taskById: Map<string, TaskRun>;
  deps: Dependencies;
  onSelect: (id: string) => void;
  onShowLogs: (id: string) => void;
  onClose: () => void;
}

/** The selected task run: its state and message, its cache key, and the task runs it used and fed. */
export function TaskRunDetails({ task, taskById, deps, onSelect, onShowLogs, onClose }: Props) {
  const links = (list: { id: string; input: string }[] | undefined, label: string) => (
    <>
      <h3>
        {label} ({list?.length ?? 0})
      </h3>
      {list?.length ? (
        <ul className="dep-list" aria-label={label}>
          {list.slice(0, 200).map((link) => (
            <li key={`${link.id} ${link.input}`}>
              <button className="link" onClick={() => onSelect(link.id)}>
                {taskById.get(link.id)?.name ?? link.id.slice(0, 8)}
              </button>
              {link.input && <span className="muted"> as {link.input}</span>}
              {taskById.get(link.id) && (
                <>
                  {" "}
                  <StateBadge type={taskById.get(link.id)!.state_type} name={taskById.get(link.id)!.state_name} />
                </>
              )}
            </li>
          ))}
          {list.length > 200 && <li className="muted">and {list.length - 200} more</li>}
        </ul>
      ) : (
        <p className="muted">None.</p>
      )}
    </>
  );
  return (
    <aside className="panel task-details" aria-label="Selected task run">
      <div className="row">
        <strong style={{ overflowWrap: "anywhere" }}>{task.name}</strong>
        <StateBadge type={task.state_type} name={task.state_name} />
        <span className="spacer" />
        <button className="link" aria-label="Close the task run" onClick={onClose}>
          ✕
        </button>
      </div>
      {task.state_message && <pre className="state-message">{task.state_message}</pre>}
      <table className="plain compact">
        <tbody>
          <tr>
            <td className="muted">Started</td>
            <td>{formatTime(task.start_ms)}</td>
          </tr>
          <tr>
            <td className="muted">Duration</td>
            <td>{runDuration(task)}</td>
          </tr>
          <tr>
            <td className="muted">Runs</td>
            <td>{task.run_count}</td>
          </tr>
          <tr>
            <td className="muted">Cache key</td>
            <td>{task.cache_key ? <code style={{ overflowWrap: "anywhere" }}>{task.cache_key}</code> : "—"}</td>
          </tr>
          <tr>
            <td className="muted">Task</td>
            <td>
              <code style={{ overflowWrap: "anywhere" }}>{task.task_key}</code>
            </td>
          </tr>
        </tbody>
      </table>
      {links(deps.upstream.get(task.id), "Upstream task runs")}
      {links(deps.downstream.get(task.id), "Downstream task runs")}
      <button onClick={() => onShowLogs(task.id)}>Show its logs</button>
    </aside>
  );
}
