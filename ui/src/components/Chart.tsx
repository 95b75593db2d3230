import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { useThemeVersion } from "../theme";

export interface Series {
  label: string;
  x: number[];
  y: (number | null)[];
}

export type XMode = "step" | "wall" | "relative";

export const PALETTE = ["#2c6bed", "#e8590c", "#2f9e44", "#c2255c", "#7048e8", "#0c8599", "#e67700", "#5c940d", "#862e9c", "#1864ab"];

export function color(index: number): string {
  return PALETTE[index % PALETTE.length];
}

/** Exponential moving average, debiased like TensorBoard's, so the first points are not pulled to zero. */
export function smooth(values: (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return values;
  let last = 0;
  let count = 0;
  return values.map((value) => {
    if (value === null || !Number.isFinite(value)) return value;
    last = last * weight + (1 - weight) * value;
    count += 1;
    return last / (1 - Math.pow(weight, count));
  });
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

interface Props {
  series: Series[];
  xMode: XMode;
  logY?: boolean;
  height?: number;
  title?: string;
  /** "points" draws markers only (scatter). */
  kind?: "lines" | "points";
  xLabel?: string;
}

export function Chart({ series, xMode, logY = false, height = 280, title, kind = "lines", xLabel }: Props) {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const theme = useThemeVersion();

  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const data =
      series.length === 1
        ? ([series[0].x, series[0].y] as uPlot.AlignedData)
        : uPlot.join(series.map((s) => [s.x, s.y] as uPlot.AlignedData));
    const axis = { stroke: cssVar("--fg-soft"), grid: { stroke: cssVar("--border"), width: 1 }, ticks: { stroke: cssVar("--border") } };
    const options: uPlot.Options = {
      width: Math.max(200, element.clientWidth),
      height,
      title,
      scales: {
        x: { time: xMode === "wall" },
        y: logY ? { distr: 3 } : {},
      },
      axes: [
        { ...axis, label: xLabel ?? (xMode === "step" ? "step" : xMode === "relative" ? "seconds since first point" : undefined) },
        { ...axis, size: 60 },
      ],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
      series: [
        { label: xMode === "step" ? "step" : "time" },
        ...series.map((s, index) => ({
          label: s.label,
          stroke: color(index),
          width: 1.5,
          spanGaps: true,
          points: kind === "points" ? { show: true, size: 6, fill: color(index) } : { show: false },
          paths: kind === "points" ? () => null : undefined,
        })),
      ],
    };
    plot.current = new uPlot(options, data, element);
    const observer = new ResizeObserver(() => {
      plot.current?.setSize({ width: Math.max(200, element.clientWidth), height });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [series, xMode, logY, height, title, kind, xLabel, theme]);

  return <div ref={holder} className="chart" data-testid="chart" />;
}
