// Small SVG plots for a handful of runs (compare page): parallel coordinates and a scatter.
import { color } from "./Chart";

export interface Axis {
  label: string;
  values: (number | string | undefined)[]; // one per run
}

interface Scale {
  position: (value: number | string | undefined) => number | null; // 0..1, bottom to top
  ticks: { at: number; label: string }[];
}

/** Keeps the extremes off the plot's edges, where their labels and markers would be cut. */
function inset(scale: Scale): Scale {
  const squeeze = (p: number) => 0.06 + p * 0.88;
  return {
    position: (v) => {
      const p = scale.position(v);
      return p === null ? null : squeeze(p);
    },
    ticks: scale.ticks.map((tick) => ({ ...tick, at: squeeze(tick.at) })),
  };
}

function scaleOf(values: (number | string | undefined)[]): Scale {
  return inset(rawScale(values));
}

function rawScale(values: (number | string | undefined)[]): Scale {
  const numbers = values.map((v) => (typeof v === "number" ? v : v !== undefined && v !== "" && !isNaN(Number(v)) ? Number(v) : null));
  const numeric = values.every((v, i) => v === undefined || numbers[i] !== null);
  if (numeric) {
    const present = numbers.filter((n): n is number => n !== null && Number.isFinite(n));
    const low = Math.min(...present);
    const high = Math.max(...present);
    const span = high - low || 1;
    return {
      position: (v) => {
        const n = typeof v === "number" ? v : v === undefined ? NaN : Number(v);
        return Number.isFinite(n) ? (high === low ? 0.5 : (n - low) / span) : null;
      },
      ticks: present.length ? [{ at: 0, label: fmt(low) }, { at: 1, label: fmt(high) }] : [],
    };
  }
  const categories = [...new Set(values.filter((v) => v !== undefined).map(String))].sort();
  const step = categories.length > 1 ? 1 / (categories.length - 1) : 0;
  return {
    position: (v) => (v === undefined ? null : categories.length > 1 ? categories.indexOf(String(v)) * step : 0.5),
    ticks: categories.slice(0, 12).map((label, i) => ({ at: categories.length > 1 ? i * step : 0.5, label })),
  };
}

function fmt(value: number): string {
  return Math.abs(value) >= 1e4 || (Math.abs(value) < 1e-3 && value !== 0) ? value.toExponential(2) : String(Number(value.toPrecision(4)));
}

export function ParallelCoordinates({ axes, runNames }: { axes: Axis[]; runNames: string[] }) {
  const width = Math.max(480, axes.length * 150);
  const height = 260;
  const pad = { top: 28, bottom: 28, side: 60 };
  const scales = axes.map((axis) => scaleOf(axis.values));
  const x = (i: number) => pad.side + (axes.length > 1 ? (i * (width - 2 * pad.side)) / (axes.length - 1) : 0);
  const y = (p: number) => pad.top + (1 - p) * (height - pad.top - pad.bottom);
  return (
    <svg viewBox={`0 0 ${width} ${height}`} width="100%" role="img" aria-label="Parallel coordinates">
      {runNames.map((name, run) => {
        const points = axes.map((axis, i) => {
          const p = scales[i].position(axis.values[run]);
          return p === null ? null : `${x(i)},${y(p)}`;
        });
        return (
          <polyline key={run} fill="none" stroke={color(run)} strokeWidth={2} opacity={0.85} points={points.filter(Boolean).join(" ")}>
            <title>{name}</title>
          </polyline>
        );
      })}
      {axes.map((axis, i) => (
        <g key={axis.label}>
          <line x1={x(i)} x2={x(i)} y1={y(0)} y2={y(1)} stroke="var(--fg-soft)" />
          <text x={x(i)} y={14} textAnchor="middle" style={{ fontWeight: 600 }}>{axis.label}</text>
          {scales[i].ticks.map((tick) => (
            <text key={tick.label + tick.at} x={x(i) + 7} y={y(tick.at) + 4}>{tick.label}</text>
          ))}
        </g>
      ))}
    </svg>
  );
}

export function Scatter({ xAxis, yAxis, runNames }: { xAxis: Axis; yAxis: Axis; runNames: string[] }) {
  const width = 520;
  const height = 300;
  const pad = 48;
  const sx = scaleOf(xAxis.values);
  const sy = scaleOf(yAxis.values);
  return (
    <svg viewBox={`0 0 ${width} ${height}`} width="100%" style={{ maxWidth: width }} role="img" aria-label="Scatter">
      <line x1={pad} x2={width - 10} y1={height - pad} y2={height - pad} stroke="var(--fg-soft)" />
      <line x1={pad} x2={pad} y1={10} y2={height - pad} stroke="var(--fg-soft)" />
      {sx.ticks.map((t) => (
        <text key={`x${t.label}${t.at}`} x={pad + t.at * (width - pad - 20)} y={height - pad + 16} textAnchor="middle">{t.label}</text>
      ))}
      {sy.ticks.map((t) => (
        <text key={`y${t.label}${t.at}`} x={pad - 6} y={height - pad - t.at * (height - pad - 20) + 4} textAnchor="end">{t.label}</text>
      ))}
      <text x={(width + pad) / 2} y={height - 8} textAnchor="middle">{xAxis.label}</text>
      <text x={12} y={height / 2} transform={`rotate(-90 12 ${height / 2})`} textAnchor="middle">{yAxis.label}</text>
      {runNames.map((name, run) => {
        const px = sx.position(xAxis.values[run]);
        const py = sy.position(yAxis.values[run]);
        if (px === null || py === null) return null;
        return (
          <circle key={run} cx={pad + px * (width - pad - 20)} cy={height - pad - py * (height - pad - 20)} r={6} fill={color(run)}>
            <title>{`${name}: ${xAxis.values[run]}, ${yAxis.values[run]}`}</title>
          </circle>
        );
      })}
    </svg>
  );
}
