import { useEffect, useState } from "react";
import { Link } from "wouter";
import { api, ApiError, proxiedRoot, Run } from "../api";
import { ArtifactBrowser } from "../components/Artifacts";
import { Card, KeyValues } from "../components/Cards";
import { ExperimentCrumb } from "../components/ExperimentCrumb";
import { MetricCharts } from "../components/MetricCharts";
import { formatNumber, formatSpan, formatTime } from "../format";
import { metricKeys, preloadedOr, runKey } from "../preload";
import { useUrlState } from "../urlState";

const LIVE_REFRESH_MS = 5000;
const FLOW_RUN_ID_TAG = "flowtrack.flowRunId"; // set on the tracked run of each flow run

function tagValue(run: Run, key: string): string | undefined {
  return run.data.tags?.find((tag) => tag.key === key)?.value;
}

function LoggedModels({ run }: { run: Run }) {
  const outputs = run.outputs?.model_outputs ?? [];
  const [models, setModels] = useState<{ id: string; name: string; root: string | null }[]>([]);
  useEffect(() => {
    Promise.all(outputs.map((output) => api.getLoggedModel(output.model_id).catch(() => null))).then((found) =>
      setModels(
        found
          .filter((m): m is NonNullable<typeof m> => m !== null)
          .map((m) => ({ id: m.model.info.model_id, name: m.model.info.name, root: proxiedRoot(m.model.info.artifact_uri) })),
      ),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [run.info.run_id, outputs.length]);
  if (!models.length) return null;
  return (
    <section>
      <h2>Logged models</h2>
      {models.map((model) => (
        <details key={model.id} className="panel" style={{ marginBottom: 8 }}>
          <summary>
            <strong>{model.name}</strong> <span className="muted">{model.id}</span>
          </summary>
          {model.root ? <ArtifactBrowser root={model.root} /> : <p className="muted">Files are not served by this server.</p>}
        </details>
      ))}
    </section>
  );
}

export function RunPage({ runId }: { runId: string }) {
  const [run, setRun] = useState<Run | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [state, setState] = useUrlState();
  const [tick, setTick] = useState(0);
  const live = run?.info.status === "RUNNING";

  useEffect(() => {
    preloadedOr(runKey(runId), () => api.getRun(runId))
      .then((found) => (setRun(found.run), setError(null)))
      .catch((exc: ApiError) => setError(exc.message));
  }, [runId, tick]);
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => setTick((t) => t + 1), LIVE_REFRESH_MS);
    return () => clearInterval(timer);
  }, [live]);

  if (error)
    return (
      <main className="page">
        <h1>Run {runId}</h1>
        <p className="error">{error}</p>
        <p>
          <Link href="/">Back to the experiments</Link>
        </p>
      </main>
    );
  if (!run) return <main className="page"><p className="muted">Loading…</p></main>;
  const info = run.info;
  const tags = (run.data.tags ?? []).filter((tag) => !tag.key.startsWith("mlflow.") || tag.key === "mlflow.note.content");
  const metrics = [...(run.data.metrics ?? [])].sort((a, b) => a.key.localeCompare(b.key));
  const params = [...(run.data.params ?? [])].sort((a, b) => a.key.localeCompare(b.key));
  const source = tagValue(run, "mlflow.source.name");
  const commit = tagValue(run, "mlflow.source.git.commit");
  const root = proxiedRoot(info.artifact_uri);
  const datasets = run.inputs?.dataset_inputs ?? [];
  const flowRunId = tagValue(run, FLOW_RUN_ID_TAG);

  return (
    <main className="page">
      <div className="crumbs">
        <Link href="/">Experiments</Link> / <ExperimentCrumb id={info.experiment_id} /> /
      </div>
      <div className="row">
        <h1>{info.run_name || info.run_id}</h1>
        <span className={`badge status-${info.status}`}>{info.status.toLowerCase()}</span>
        {info.lifecycle_stage === "deleted" && <span className="badge">deleted</span>}
        {live && <span className="muted">live · refreshes every {LIVE_REFRESH_MS / 1000}s</span>}
        {flowRunId && (
          <Link href={`/flow-runs/${encodeURIComponent(flowRunId)}`} className="badge link-badge" title={`The flow run that made this run (${flowRunId})`}>
            Flow run
          </Link>
        )}
      </div>
      <div className="cards">
        <Card label="Run ID"><code>{info.run_id}</code></Card>
        <Card label="Started">{formatTime(info.start_time)}</Card>
        <Card label="Duration">{info.end_time || live ? formatSpan((info.end_time ?? Date.now()) - info.start_time) : ""}</Card>
        <Card label="User">{info.user_id || tagValue(run, "mlflow.user")}</Card>
        <Card label="Source">{source}</Card>
        <Card label="Git commit">{commit && <code title={commit}>{commit.slice(0, 12)}</code>}</Card>
      </div>
      <h2>Metric charts</h2>
      <MetricCharts runs={[{ id: info.run_id, name: info.run_name }]} keys={metricKeys(run)} layout="one" refreshMs={live ? LIVE_REFRESH_MS : undefined} />
      <div className="two-col">
        <section>
          <h2>Params ({params.length})</h2>
          <KeyValues items={params.map((p) => ({ key: p.key, value: p.value }))} empty="No params." />
          <h2>Tags ({tags.length})</h2>
          <KeyValues items={tags.map((t) => ({ key: t.key, value: t.value }))} empty="No tags." />
        </section>
        <section>
          <h2>Metrics ({metrics.length})</h2>
          <KeyValues items={metrics.map((m) => ({ key: m.key, value: <span title={`step ${m.step}`}>{formatNumber(m.value)}</span> }))} empty="No metrics." />
          <h2>Dataset inputs ({datasets.length})</h2>
          {datasets.length ? (
            <table className="plain">
              <thead>
                <tr><th>Name</th><th>Digest</th><th>Context</th><th>Source</th></tr>
              </thead>
              <tbody>
                {datasets.map((input, index) => (
                  <tr key={index}>
                    <td>{input.dataset.name}</td>
                    <td><code>{input.dataset.digest}</code></td>
                    <td>{input.tags?.find((t) => t.key === "mlflow.data.context")?.value}</td>
                    <td className="muted" style={{ overflowWrap: "anywhere" }}>{input.dataset.source_type}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="muted">No datasets.</p>
          )}
        </section>
      </div>
      <h2>Artifacts</h2>
      {root !== null ? (
        <ArtifactBrowser root={root} initial={state.get("artifact")} onChoose={(path) => setState({ artifact: path })} />
      ) : (
        <p className="muted">Artifacts at <code>{info.artifact_uri}</code> are not served by this server.</p>
      )}
      <LoggedModels run={run} />
    </main>
  );
}
