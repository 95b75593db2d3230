import { useEffect, useMemo, useState } from "react";
import { Link } from "wouter";
import { api, ApiError, Run } from "../api";
import { color } from "../components/Chart";
import { ExperimentCrumb } from "../components/ExperimentCrumb";
import { MetricCharts } from "../components/MetricCharts";
import { Axis, ParallelCoordinates, Scatter } from "../components/Plots";
import { formatNumber } from "../format";
import { listParam, useUrlState } from "../urlState";

type Lookup = (run: Run) => number | string | undefined;

function columnsOf(runs: Run[]): Map<string, Lookup> {
  const found = new Map<string, Lookup>();
  for (const run of runs) {
    for (const p of run.data.params ?? []) found.set(`param: ${p.key}`, (r) => r.data.params?.find((x) => x.key === p.key)?.value);
    for (const m of run.data.metrics ?? []) found.set(`metric: ${m.key}`, (r) => r.data.metrics?.find((x) => x.key === m.key)?.value);
  }
  return new Map([...found.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

export function ComparePage() {
  const [state, setState] = useUrlState();
  const runIds = listParam(state, "runs");
  const [runs, setRuns] = useState<Run[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    Promise.all(runIds.map((id) => api.getRun(id)))
      .then((found) => setRuns(found.map((f) => f.run)))
      .catch((exc: ApiError) => setError(exc.message));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [runIds.join(",")]);

  const columns = useMemo(() => columnsOf(runs ?? []), [runs]);
  if (error) return <main className="page"><p className="error">{error}</p></main>;
  if (!runs) return <main className="page"><p className="muted">Loading…</p></main>;

  const names = runs.map((r) => r.info.run_name || r.info.run_id.slice(0, 8));
  const metricKeys = [...new Set(runs.flatMap((r) => (r.data.metrics ?? []).map((m) => m.key)))].sort();
  const paramKeys = [...new Set(runs.flatMap((r) => (r.data.params ?? []).map((p) => p.key)))].sort();
  const tagKeys = [...new Set(runs.flatMap((r) => (r.data.tags ?? []).map((t) => t.key)))].filter((k) => !k.startsWith("mlflow.")).sort();
  const target = state.get("target") ?? metricKeys[0] ?? "";
  const columnNames = [...columns.keys()];
  const scatterX = state.get("sx") ?? columnNames.find((c) => c.startsWith("param:")) ?? columnNames[0] ?? "";
  const scatterY = state.get("sy") ?? (target ? `metric: ${target}` : columnNames[1] ?? "");
  const axis = (name: string): Axis => ({ label: name.replace(/^(param|metric): /, ""), values: runs.map((r) => columns.get(name)?.(r)) });
  const pcAxes = [...paramKeys.map((k) => axis(`param: ${k}`)), ...(target ? [axis(`metric: ${target}`)] : [])];
  const experimentId = runs[0]?.info.experiment_id;

  const rows = (title: string, keys: string[], value: (run: Run, key: string) => string | number | undefined) => (
    <>
      <tr>
        <th colSpan={runs.length + 1}>{title}</th>
      </tr>
      {keys.map((key) => {
        const values = runs.map((run) => value(run, key));
        const differs = new Set(values.map((v) => String(v ?? ""))).size > 1;
        return (
          <tr key={title + key} className={differs ? "diff" : ""} data-differs={differs}>
            <td style={{ overflowWrap: "anywhere" }}>{key}</td>
            {values.map((v, i) => (
              <td key={i} className="num">{typeof v === "number" ? formatNumber(v) : v ?? <span className="muted">—</span>}</td>
            ))}
          </tr>
        );
      })}
    </>
  );

  return (
    <main className="page">
      <div className="crumbs">
        <Link href="/">Experiments</Link> / {experimentId && <ExperimentCrumb id={experimentId} />} /
      </div>
      <h1>Comparing {runs.length} runs</h1>
      <div className="row" style={{ margin: "6px 0 10px" }}>
        {runs.map((run, i) => (
          <Link key={run.info.run_id} href={`/runs/${run.info.run_id}`} className="chip" style={{ borderColor: color(i) }}>
            <span style={{ color: color(i) }}>●</span> {names[i]}
          </Link>
        ))}
      </div>
      <h2>Metric curves</h2>
      <MetricCharts runs={runs.map((r, i) => ({ id: r.info.run_id, name: names[i] }))} keys={metricKeys} layout="per-metric" />
      <div className="two-col">
        <section>
          <h2>Parallel coordinates</h2>
          <div className="row">
            <label>
              metric{" "}
              <select aria-label="Target metric" value={target} onChange={(event) => setState({ target: event.target.value })}>
                {metricKeys.map((k) => <option key={k}>{k}</option>)}
              </select>
            </label>
          </div>
          {pcAxes.length ? <ParallelCoordinates axes={pcAxes} runNames={names} /> : <p className="muted">No params or metrics.</p>}
        </section>
        <section>
          <h2>Scatter</h2>
          <div className="row">
            <label>
              x{" "}
              <select aria-label="Scatter x" value={scatterX} onChange={(event) => setState({ sx: event.target.value })}>
                {columnNames.map((c) => <option key={c}>{c}</option>)}
              </select>
            </label>
            <label>
              y{" "}
              <select aria-label="Scatter y" value={scatterY} onChange={(event) => setState({ sy: event.target.value })}>
                {columnNames.map((c) => <option key={c}>{c}</option>)}
              </select>
            </label>
          </div>
          {scatterX && scatterY ? <Scatter xAxis={axis(scatterX)} yAxis={axis(scatterY)} runNames={names} /> : null}
        </section>
      </div>
      <h2>Values</h2>
      <p className="muted">Rows whose values differ between the runs are highlighted.</p>
      <table className="plain" data-testid="compare-table">
        <thead>
          <tr>
            <th />
            {names.map((name, i) => <th key={i} style={{ color: color(i) }}>{name}</th>)}
          </tr>
        </thead>
        <tbody>
          {rows("Params", paramKeys, (run, key) => run.data.params?.find((p) => p.key === key)?.value)}
          {rows("Metrics", metricKeys, (run, key) => run.data.metrics?.find((m) => m.key === key)?.value)}
          {rows("Tags", tagKeys, (run, key) => run.data.tags?.find((t) => t.key === key)?.value)}
        </tbody>
      </table>
    </main>
  );
}
