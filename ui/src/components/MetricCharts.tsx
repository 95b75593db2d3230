import { useEffect, useMemo, useState } from "react";
import { api, ApiError, History } from "../api";
import { defaultMetrics, historiesKey, pointsPerHistory, preloadedOr } from "../preload";
import { listParam, useUrlState } from "../urlState";
import { Chart, Series, smooth, XMode } from "./Chart";

interface Props {
  runs: { id: string; name: string }[];
  keys: string[];
  /** "one": every chosen metric in one chart (a run's page); "per-metric": one chart per metric (compare). */
  layout: "one" | "per-metric";
  /** Reload the histories this often (ms) while the run is live. */
  refreshMs?: number;
}

function xValues(history: History, mode: XMode): number[] {
  if (mode === "step") return history.steps;
  if (mode === "wall") return history.timestamps.map((t) => t / 1000);
  const first = history.timestamps[0] ?? 0;
  return history.timestamps.map((t) => (t - first) / 1000);
}

/** uPlot wants x ascending: wall-clock x can go back when steps were logged out of time order. */
function ascending(x: number[], y: (number | null)[]): [number[], (number | null)[]] {
  for (let i = 1; i < x.length; i++) {
    if (x[i] < x[i - 1]) {
      const order = x.map((_, index) => index).sort((a, b) => x[a] - x[b]);
      return [order.map((i) => x[i]), order.map((i) => y[i])];
    }
  }
  return [x, y];
}

export function MetricCharts({ runs, keys, layout, refreshMs }: Props) {
  const [state, setState] = useUrlState();
  const chosenFromUrl = listParam(state, "metrics").map(decodeURIComponent);
  const chosen = defaultMetrics(chosenFromUrl, keys, layout === "one" ? 1 : 4);
  const xMode = (state.get("x") as XMode) || "step";
  const smoothing = Number(state.get("smooth") ?? 0);
  const logY = state.get("log") === "1";
  const [histories, setHistories] = useState<History[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const runIds = runs.map((r) => r.id).join(",");
  const chosenKey = chosen.join("\u0000");

  useEffect(() => {
    if (!chosen.length || !runs.length) {
      setHistories([]);
      return;
    }
    let live = true;
    const ids = runs.map((r) => r.id);
    const points = pointsPerHistory(runs.length * chosen.length);
    preloadedOr(historiesKey(ids, chosen, points), () => api.histories(ids, chosen, points))
      .then((found) => live && (setHistories(found.histories), setError(null)))
      .catch((exc: ApiError) => live && setError(exc.message));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [runIds, chosenKey, tick]);

  useEffect(() => {
    if (!refreshMs) return;
    const timer = setInterval(() => setTick((t) => t + 1), refreshMs);
    return () => clearInterval(timer);
  }, [refreshMs]);

  const charts = useMemo(() => {
    if (!histories) return [];
    const names = new Map(runs.map((r) => [r.id, r.name]));
    const toSeries = (history: History, label: string): Series => {
      const [x, raw] = ascending(xValues(history, xMode), history.values);
      const y = smooth(raw, smoothing).map((v) => (logY && v !== null && v <= 0 ? null : v));
      return { label, x, y };
    };
    if (layout === "one") {
      return [{ title: "", series: histories.map((h) => toSeries(h, runs.length > 1 ? `${names.get(h.run_id)} ${h.key}` : h.key)) }];
    }
    return chosen.map((key) => ({
      title: key,
      series: histories.filter((h) => h.key === key).map((h) => toSeries(h, names.get(h.run_id) ?? h.run_id)),
    }));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [histories, xMode, smoothing, logY, layout]);

  const toggleKey = (key: string) => {
    const next = chosen.includes(key) ? chosen.filter((k) => k !== key) : [...chosen, key];
    setState({ metrics: next.map(encodeURIComponent).join(",") || "," });
  };
  const sampled = histories?.filter((h) => h.sampled) ?? [];

  if (!keys.length) return <p className="muted">No metrics logged.</p>;
  return (
    <div>
      <div className="metric-picker" role="group" aria-label="Metrics to chart">
        {keys.map((key) => (
          <button key={key} className="chip" aria-pressed={chosen.includes(key)} onClick={() => toggleKey(key)}>
            {key}
          </button>
        ))}
      </div>
      <div className="chart-controls">
        <label>
          x axis{" "}
          <select aria-label="x axis" value={xMode} onChange={(event) => setState({ x: event.target.value === "step" ? null : event.target.value })}>
            <option value="step">step</option>
            <option value="wall">wall time</option>
            <option value="relative">relative time</option>
          </select>
        </label>
        <label>
          smoothing{" "}
          <input
            type="range"
            aria-label="smoothing"
            min={0}
            max={0.99}
            step={0.01}
            value={smoothing}
            onChange={(event) => setState({ smooth: event.target.value === "0" ? null : event.target.value })}
          />{" "}
          <span className="muted">{smoothing.toFixed(2)}</span>
        </label>
        <label>
          <input type="checkbox" checked={logY} onChange={(event) => setState({ log: event.target.checked ? "1" : null })} /> log scale
        </label>
        {sampled.length > 0 && (
          <span className="muted" title="Each bucket keeps its lowest and highest point, so spikes stay visible.">
            downsampled from {Math.max(...sampled.map((h) => h.total)).toLocaleString("en-US")} points
          </span>
        )}
      </div>
      {error && <p className="error">{error}</p>}
      {histories === null ? (
        <p className="muted">Loading…</p>
      ) : (
        <div className={layout === "per-metric" ? "two-col" : ""}>
          {charts.map((chart) => (
            <div className="chart-box" key={chart.title || "all"}>
              {chart.series.length ? <Chart series={chart.series} xMode={xMode} logY={logY} title={chart.title || undefined} /> : <p className="muted">No points.</p>}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
