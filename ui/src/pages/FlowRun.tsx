import { useEffect, useMemo, useState } from "react";
import { Link, useLocation } from "wouter";
import { ApiError, FlowRun, orchestration, StateEntry, TaskEdge, TaskRun } from "../api";
import { Card, KeyValues } from "../components/Cards";
import { FlowLogs } from "../components/FlowLogs";
import { StateBadge } from "../components/StateBadge";
import { dependencies, TaskRunDetails } from "../components/TaskRunDetails";
import { TaskRunsTable } from "../components/TaskRunsTable";
import { Timeline, TimelineItem } from "../components/Timeline";
import { isFinal, isLive, LIVE_REFRESH_MS, runDuration } from "../flowState";
import { formatTime } from "../format";
import { useUrlState } from "../urlState";

interface Loaded {
  run: FlowRun;
  taskRuns: TaskRun[];
  edges: TaskEdge[];
  subflows: FlowRun[];
  states: StateEntry[];
}

const SUBFLOW_LIMIT = 1000;
const NO_LINKS = { upstream: new Set<string>(), downstream: new Set<string>() };

/** Everything the page shows of a flow run, fetched again whenever `tick` changes. */
function useFlowRun(id: string, tick: number) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setLoaded(null), [id]); // another flow run's page: not the previous one's data meanwhile
  useEffect(() => {
    let live = true;
    Promise.all([
      orchestration.flowRun(id),
      orchestration.taskRuns(id),
      orchestration.edges(id),
      orchestration.flowRuns({ parent_flow_run_id: id }, 0, SUBFLOW_LIMIT),
      orchestration.states(id),
    ])
      .then(([run, taskRuns, edges, subflows, states]) => {
        if (!live) return;
        setLoaded({ run: run.flow_run, taskRuns, edges: edges.edges, subflows: subflows.flow_runs, states: states.states });
        setError(null);
      })
      .catch((exc: ApiError) => live && setError(exc.message));
    return () => {
      live = false;
    };
  }, [id, tick]);
  return { loaded, setLoaded, error };
}

function displayValue(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function FlowRunPage({ flowRunId }: { flowRunId: string }) {
  const [tick, setTick] = useState(0);
  const { loaded, setLoaded, error } = useFlowRun(flowRunId, tick);
  const [actionError, setActionError] = useState<string | null>(null);
  const [state, setState] = useUrlState();
  const [, navigate] = useLocation();
  const selectedId = state.get("task");
  const logTask = state.get("logtask");
  const logPage = Number(state.get("logpage") ?? 0) || 0;
  const run = loaded?.run;
  const live = !!loaded && (isLive(loaded.run.state_type) || loaded.subflows.some((sub) => isLive(sub.state_type)));
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => setTick((t) => t + 1), LIVE_REFRESH_MS);
    return () => clearInterval(timer);
  }, [live]);

  const taskRuns = loaded?.taskRuns;
  const taskById = useMemo(() => new Map((taskRuns ?? []).map((task) => [task.id, task])), [taskRuns]);
  const taskNames = useMemo(() => new Map((taskRuns ?? []).map((task) => [task.id, task.name])), [taskRuns]);
  const deps = useMemo(() => dependencies(loaded?.edges ?? [], taskRuns ?? []), [loaded?.edges, taskRuns]);
  const items = useMemo(
    (): TimelineItem[] => [
      ...(taskRuns ?? []).map((task) => ({ ...task, subflow: false })),
      ...(loaded?.subflows ?? []).map((sub) => ({ ...sub, subflow: true })),
    ],
    [taskRuns, loaded?.subflows],
  );
  const links = useMemo(() => {
    const ids = (found: { id: string }[] | undefined) => new Set((found ?? []).map((link) => link.id));
    return selectedId ? { upstream: ids(deps.upstream.get(selectedId)), downstream: ids(deps.downstream.get(selectedId)) } : NO_LINKS;
  }, [deps, selectedId]);

  if (error && !loaded)
    return (
      <main className="page">
        <h1>Flow run {flowRunId}</h1>
        <p className="error">{error}</p>
        <p>
          <Link href="/flow-runs">Back to the flow runs</Link>
        </p>
      </main>
    );
  if (!loaded || !run)
    return (
      <main className="page">
        <p className="muted">Loading…</p>
      </main>
    );

  const select = (id: string | null) => setState({ task: id });
  const cancel = () => {
    orchestration
      .cancel(run.id)
      .then((changed) => {
        setLoaded({ ...loaded, run: changed.flow_run });
        setActionError(null);
        setTick((t) => t + 1);
      })
      .catch((exc: ApiError) => setActionError(exc.message));
  };
  const remove = () => {
    const subflows = loaded.subflows.length ? ` and its ${loaded.subflows.length} subflow run(s)` : "";
    if (!window.confirm(`Delete the flow run "${run.name}"${subflows}, with its task runs, states and logs?`)) return;
    orchestration
      .deleteFlowRun(run.id)
      .then(() => navigate("/flow-runs"))
      .catch((exc: ApiError) => setActionError(exc.message));
  };
  const selected = selectedId ? taskById.get(selectedId) : undefined;
  const parameters = Object.entries(run.parameters).map(([key, value]) => ({ key, value: displayValue(value) }));

  return (
    <main className="page">
      <div className="crumbs">
        <Link href="/flow-runs">Flow runs</Link> / <Link href={`/flow-runs?flow=${encodeURIComponent(run.flow_name)}`}>{run.flow_name}</Link> /
      </div>
      <div className="row">
        <h1>{run.name}</h1>
        <StateBadge type={run.state_type} name={run.state_name} />
        {live && <span className="muted">live · refreshes every {LIVE_REFRESH_MS / 1000}s</span>}
        <span className="spacer" />
        {!isFinal(run.state_type) && (
          <button onClick={cancel} disabled={run.state_type === "CANCELLING"}>
            {run.state_type === "CANCELLING" ? "Cancelling…" : "Cancel"}
          </button>
        )}
        <button className="danger" onClick={remove}>
          Delete
        </button>
      </div>
      {run.state_message && <pre className="state-message" data-testid="state-message">{run.state_message}</pre>}
      {(actionError || error) && <p className="error">{actionError ?? error}</p>}
      <div className="cards">
        <Card label="Flow">{run.flow_name}</Card>
        <Card label="Started">{formatTime(run.start_ms)}</Card>
        <Card label="Ended">{formatTime(run.end_ms)}</Card>
        <Card label="Duration">{runDuration(run)}</Card>
        <Card label="Tracked run">
          {run.tracking_run_id && (
            <Link href={`/runs/${run.tracking_run_id}`} aria-label="Tracked run">
              <code>{run.tracking_run_id.slice(0, 12)}</code>
            </Link>
          )}
        </Card>
        <Card label="Parent flow run">
          {run.parent_flow_run_id && (
            <Link href={`/flow-runs/${run.parent_flow_run_id}`} aria-label="Parent flow run">
              <code>{run.parent_flow_run_id.slice(0, 12)}</code>
            </Link>
          )}
        </Card>
        <Card label="Flow run ID">
          <code>{run.id}</code>
        </Card>
        {run.deployment_id && (
          <Card label="Deployment">
            <code>{run.deployment_id}</code>
          </Card>
        )}
      </div>
      <div className="two-col">
        <section>
          <h2>Parameters ({parameters.length})</h2>
          <KeyValues items={parameters} empty="No parameters." label="Parameters" />
          <h2>Tags ({run.tags.length})</h2>
          {run.tags.length ? (
            <div className="row">
              {run.tags.map((tag) => (
                <span key={tag} className="badge tag">
                  {tag}
                </span>
              ))}
            </div>
          ) : (
            <p className="muted">No tags.</p>
          )}
        </section>
        <section>
          <h2>State history</h2>
          <StateHistory states={loaded.states} />
        </section>
      </div>
      <h2>
        Timeline <span className="muted">({loaded.taskRuns.length.toLocaleString("en-US")} task runs{loaded.subflows.length ? `, ${loaded.subflows.length} subflow runs` : ""})</span>
      </h2>
      {items.length ? (
        <Timeline
          items={items}
          start={run.start_ms}
          end={run.end_ms}
          selectedId={selectedId}
          links={links}
          onSelect={(item) => (item.subflow ? navigate(`/flow-runs/${item.id}`) : select(item.id))}
        />
      ) : (
        <p className="muted">No task runs or subflow runs.</p>
      )}
      {loaded.subflows.length > 0 && <Subflows runs={loaded.subflows} />}
      <h2>Task runs</h2>
      <div className={selected ? "tasks-with-details" : undefined}>
        <TaskRunsTable taskRuns={loaded.taskRuns} selectedId={selectedId} onSelect={select} />
        {selected && (
          <TaskRunDetails
            task={selected}
            taskById={taskById}
            deps={deps}
            onSelect={select}
            onShowLogs={(id) => setState({ logtask: id, logpage: null })}
            onClose={() => select(null)}
          />
        )}
      </div>
      <h2>Logs</h2>
      <FlowLogs
        flowRunId={run.id}
        taskRuns={loaded.taskRuns}
        taskNames={taskNames}
        taskRunId={logTask}
        page={logPage}
        refresh={tick}
        onChange={(task, page) => setState({ logtask: task, logpage: page ? String(page) : null })}
      />
    </main>
  );
}

function StateHistory({ states }: { states: StateEntry[] }) {
  if (!states.length) return <p className="muted">No states recorded.</p>;
  return (
    <table className="plain" aria-label="State history">
      <tbody>
        {states.map((entry) => (
          <tr key={entry.id}>
            <td className="muted" style={{ width: 170 }}>
              {formatTime(entry.timestamp_ms)}
            </td>
            <td style={{ width: 120 }}>
              <StateBadge type={entry.type} name={entry.name} />
            </td>
            <td style={{ overflowWrap: "anywhere" }}>{entry.message}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Subflows({ runs }: { runs: FlowRun[] }) {
  return (
    <>
      <h2>Subflow runs ({runs.length})</h2>
      <table className="plain" aria-label="Subflow runs">
        <thead>
          <tr>
            <th>Flow run</th>
            <th>Flow</th>
            <th>State</th>
            <th>Started</th>
            <th>Duration</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((sub) => (
            <tr key={sub.id}>
              <td>
                <Link href={`/flow-runs/${sub.id}`}>{sub.name}</Link>
              </td>
              <td>{sub.flow_name}</td>
              <td>
                <StateBadge type={sub.state_type} name={sub.state_name} />
              </td>
              <td className="muted">{formatTime(sub.start_ms)}</td>
              <td className="muted">{runDuration(sub)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
