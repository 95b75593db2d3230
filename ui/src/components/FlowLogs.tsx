import { useEffect, useState } from "react";
import { ApiError, LogEntry, orchestration, TaskRun } from "../api";
import { levelName } from "../flowState";
import { formatTime } from "../format";

export const LOG_PAGE = 200;
const MAX_TASK_OPTIONS = 500; // a longer list is no help: pick the task run in the table instead

interface Props {
  flowRunId: string;
  taskRuns: TaskRun[];
  taskNames: Map<string, string>;
  taskRunId: string | null;
  page: number;
  refresh: number; // changes when the page refreshes itself
  onChange: (taskRunId: string | null, page: number) => void;
}

/** A flow run's logs (its own and its task runs'), oldest first, a page at a time. */
export function FlowLogs({ flowRunId, taskRuns, taskNames, taskRunId, page, refresh, onChange }: Props) {
  const [logs, setLogs] = useState<LogEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    // one more than a page: whether there is a next page, without a count
    orchestration
      .logs(flowRunId, taskRunId ?? undefined, page * LOG_PAGE, LOG_PAGE + 1)
      .then((found) => live && (setLogs(found.logs), setError(null)))
      .catch((exc: ApiError) => live && setError(exc.message));
    return () => {
      live = false;
    };
  }, [flowRunId, taskRunId, page, refresh]);

  const options = taskRuns.length <= MAX_TASK_OPTIONS ? taskRuns : taskRuns.filter((task) => task.id === taskRunId);
  const shown = logs?.slice(0, LOG_PAGE) ?? [];
  const hasNext = (logs?.length ?? 0) > LOG_PAGE;

  return (
    <section className="logs">
      <div className="toolbar">
        <select aria-label="Logs of" value={taskRunId ?? ""} onChange={(event) => onChange(event.target.value || null, 0)}>
          <option value="">The flow run and every task run</option>
          {options.map((task) => (
            <option key={task.id} value={task.id}>
              {task.name}
            </option>
          ))}
        </select>
        <button disabled={page === 0} onClick={() => onChange(taskRunId, page - 1)}>
          ← Previous
        </button>
        <span className="muted" data-testid="log-range">
          {shown.length ? `${(page * LOG_PAGE + 1).toLocaleString("en-US")}–${(page * LOG_PAGE + shown.length).toLocaleString("en-US")}` : ""}
        </span>
        <button disabled={!hasNext} onClick={() => onChange(taskRunId, page + 1)}>
          Next →
        </button>
      </div>
      {error && <p className="error">{error}</p>}
      {logs !== null && !shown.length ? (
        <p className="muted">{page ? "No more logs." : "No logs."}</p>
      ) : (
        <table className="plain log-table" aria-label="Logs">
          <thead>
            <tr>
              <th style={{ width: 80 }}>Level</th>
              <th style={{ width: 190 }}>Time</th>
              <th style={{ width: 200 }}>Task run</th>
              <th>Message</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((log, index) => (
              <tr key={index}>
                <td>
                  <span className={`level level-${levelName(log.level)}`}>{levelName(log.level)}</span>
                </td>
                <td className="muted">
                  {formatTime(log.timestamp_ms)}.{String(log.timestamp_ms % 1000).padStart(3, "0")}
                </td>
                <td>
                  {log.task_run_id === null ? (
                    <span className="muted">flow</span>
                  ) : (
                    <button className="link" title="Only this task run's logs" onClick={() => onChange(log.task_run_id, 0)}>
                      {taskNames.get(log.task_run_id) ?? log.task_run_id.slice(0, 8)}
                    </button>
                  )}
                </td>
                <td>
                  <pre className="log-message">{log.message}</pre>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
