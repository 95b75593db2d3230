import { useEffect, useMemo, useRef, useState } from "react";
import { StateType } from "../api";
import { isFinal, stateColors } from "../flowState";
import { formatDuration, formatSpan } from "../format";
import { useThemeVersion } from "../theme";

export interface TimelineItem {
  id: string;
  name: string;
  state_type: StateType;
  state_name: string;
  created_ms: number;
  start_ms: number | null;
  end_ms: number | null;
  subflow: boolean;
}

/** Where a run sits on the time axis: its start, else (a cached or skipped run never starts) its end or creation. */
function anchor(item: TimelineItem): number {
  return item.start_ms ?? item.end_ms ?? item.created_ms;
}

interface Props {
  items: TimelineItem[];
  /** The flow run's own start and end: the axis covers them and every bar. */
  start: number | null;
  end: number | null;
  selectedId: string | null;
  /** The selected run's upstream and downstream runs: highlighted, and joined to it by lines. */
  links: { upstream: Set<string>; downstream: Set<string> };
  onSelect: (item: TimelineItem) => void;
}

const ROW = 18;
const AXIS = 24;
const GUTTER = 220;
const RIGHT = 16;
const MAX_HEIGHT = 420;
const TICK_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5, 36e5, 72e5, 216e5, 432e5, 864e5];

/** An offset from the flow run's start as an axis label: "+250ms", "+12s", "+3m 20s". */
function offsetLabel(ms: number): string {
  if (ms === 0) return "0";
  if (ms < 1000) return `+${Math.round(ms)}ms`;
  if (ms < 60_000) return `+${Number((ms / 1000).toFixed(ms % 1000 ? 1 : 0))}s`;
  return `+${formatDuration(0, ms)}`;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

/**
 * A Gantt chart of a flow run drawn on one canvas: only the rows in view are drawn, so a flow run of 10,000
 * task runs costs what one of 20 does. The canvas stays in place (sticky) over a spacer as tall as all the
 * rows, so the scroll bar and the wheel work as on any list.
 */
export function Timeline({ items, start, end, selectedId, links, onSelect }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(800);
  const [hover, setHover] = useState<{ index: number; x: number; y: number } | null>(null);
  const theme = useThemeVersion();
  const [scrollTop, setScrollTop] = useState(0);
  const rows = useMemo(
    () => [...items].sort((a, b) => anchor(a) - anchor(b)),
    [items],
  );
  const rowOf = useMemo(() => new Map(rows.map((item, index) => [item.id, index])), [rows]);
  const now = Date.now();
  const range = useMemo(() => {
    let low = start ?? Infinity;
    let high = end ?? -Infinity;
    for (const item of rows) {
      low = Math.min(low, anchor(item));
      high = Math.max(high, barEnd(item, now));
    }
    if (!Number.isFinite(low)) return null;
    if (end === null) high = Math.max(high, now);
    return { low, span: Math.max(1, high - low) };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rows, start, end]);
  const height = Math.min(MAX_HEIGHT, AXIS + rows.length * ROW + 2);
  const total = AXIS + rows.length * ROW;

  useEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const observer = new ResizeObserver(() => setWidth(element.clientWidth));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  // the selected run (chosen in the table, say) scrolled into view
  useEffect(() => {
    const index = selectedId === null ? undefined : rowOf.get(selectedId);
    const element = scroller.current;
    if (index === undefined || !element) return;
    const top = index * ROW;
    const visible = height - AXIS;
    if (top < element.scrollTop || top + ROW > element.scrollTop + visible) element.scrollTop = Math.max(0, top - visible / 2);
  }, [selectedId, rowOf, height]);

  const x = (ms: number) => GUTTER + ((ms - (range?.low ?? 0)) / (range?.span ?? 1)) * (width - GUTTER - RIGHT);

  useEffect(() => {
    const element = canvas.current;
    if (!element) return;
    const ratio = window.devicePixelRatio || 1;
    element.width = Math.round(width * ratio);
    element.height = Math.round(height * ratio);
    const context = element.getContext("2d");
    if (!context) return;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    draw(context, { rows, rowOf, width, height, scrollTop, selectedId, links, hover: hover?.index ?? null, x, range, now });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rows, rowOf, width, height, scrollTop, selectedId, links, hover, range, theme]);

  const indexAt = (clientY: number): number | null => {
    const box = canvas.current?.getBoundingClientRect();
    if (!box) return null;
    const y = clientY - box.top - AXIS;
    if (y < 0) return null;
    const index = Math.floor((y + scrollTop) / ROW);
    return index < rows.length ? index : null;
  };
  const hovered = hover === null ? null : rows[hover.index];

  return (
    <div className="timeline-wrap">
      <div
        className="timeline"
        ref={scroller}
        style={{ height }}
        tabIndex={0}
        aria-label={`Timeline of ${rows.length} runs; scroll for more`}
        onScroll={(event) => setScrollTop(event.currentTarget.scrollTop)}
      >
        <canvas
          ref={canvas}
          data-testid="timeline"
          role="img"
          aria-label={`Timeline of ${rows.length.toLocaleString("en-US")} runs`}
          style={{ width, height }}
          onMouseMove={(event) => {
            const index = indexAt(event.clientY);
            const box = event.currentTarget.getBoundingClientRect();
            setHover(index === null ? null : { index, x: event.clientX - box.left, y: event.clientY - box.top });
          }}
          onMouseLeave={() => setHover(null)}
          onClick={(event) => {
            const index = indexAt(event.clientY);
            if (index !== null) onSelect(rows[index]);
          }}
        />
        <div style={{ height: Math.max(0, total - height) }} />
      </div>
      {hovered && hover && (
        <div className="timeline-tip" data-testid="timeline-tip" style={{ left: Math.min(hover.x + 14, width - 260), top: hover.y + 14 }}>
          <strong>{hovered.subflow ? "Subflow run " : ""}{hovered.name}</strong>
          <div>
            {hovered.state_name} <span className="muted">({hovered.state_type.toLowerCase()})</span>
          </div>
          <div className="muted">
            {hovered.start_ms === null
              ? isFinal(hovered.state_type)
                ? `did not run; ended at ${offsetLabel(anchor(hovered) - (range?.low ?? 0))}`
                : "not started"
              : `${formatSpan((hovered.end_ms ?? Date.now()) - hovered.start_ms)}${hovered.end_ms === null ? " so far" : ""}, started at ${offsetLabel(hovered.start_ms - (range?.low ?? 0))}`}
          </div>
        </div>
      )}
    </div>
  );
}

interface Frame {
  rows: TimelineItem[];
  rowOf: Map<string, number>;
  width: number;
  height: number;
  scrollTop: number;
  selectedId: string | null;
  links: { upstream: Set<string>; downstream: Set<string> };
  hover: number | null;
  x: (ms: number) => number;
  range: { low: number; span: number } | null;
  now: number;
}

function draw(context: CanvasRenderingContext2D, frame: Frame): void {
  const { rows, width, height, scrollTop, range } = frame;
  const colors = stateColors();
  const fg = cssVar("--fg");
  const soft = cssVar("--fg-soft");
  const border = cssVar("--border");
  context.clearRect(0, 0, width, height);
  context.font = "12px system-ui, sans-serif";
  context.textBaseline = "middle";

  const first = Math.floor(scrollTop / ROW);
  const last = Math.min(rows.length - 1, Math.ceil((scrollTop + height - AXIS) / ROW));
  const rowY = (index: number) => AXIS + index * ROW - scrollTop;
  context.save();
  context.beginPath();
  context.rect(0, AXIS, width, height - AXIS);
  context.clip();
  drawGrid(context, frame, border);
  for (let index = first; index <= last; index++) {
    const item = rows[index];
    const y = rowY(index);
    const background =
      item.id === frame.selectedId ? "--bg-selected" : frame.links.upstream.has(item.id) || frame.links.downstream.has(item.id) || index === frame.hover ? "--bg-hover" : null;
    if (background) {
      context.fillStyle = cssVar(background);
      context.fillRect(0, y, width, ROW);
    }
    context.fillStyle = item.subflow ? soft : fg;
    context.fillText(fitText(context, (item.subflow ? "↳ " : "") + item.name, GUTTER - 16), 8, y + ROW / 2);
    if (!range) continue;
    context.fillStyle = colors[item.state_type];
    if (item.start_ms === null) {
      if (isFinal(item.state_type)) drawDiamond(context, frame.x(anchor(item)), y + ROW / 2, item.state_name === "Cached");
      continue;
    }
    const left = frame.x(item.start_ms);
    const right = Math.max(left + 2, frame.x(barEnd(item, frame.now)));
    context.globalAlpha = item.state_name === "Cached" ? 0.45 : 1;
    context.fillRect(left, y + 3, right - left, ROW - 6);
    context.globalAlpha = 1;
    if (item.subflow) {
      context.strokeStyle = fg;
      context.setLineDash([3, 2]);
      context.strokeRect(left + 0.5, y + 3.5, right - left - 1, ROW - 7);
      context.setLineDash([]);
    }
  }
  drawLinks(context, frame, rowY);
  context.restore();
  drawAxis(context, frame, { soft, border });
}

/** A run that never ran (served from the cache, say): a diamond where it ended. */
function drawDiamond(context: CanvasRenderingContext2D, x: number, y: number, faded: boolean): void {
  const size = 5;
  context.globalAlpha = faded ? 0.6 : 1;
  context.beginPath();
  context.moveTo(x, y - size);
  context.lineTo(x + size, y);
  context.lineTo(x, y + size);
  context.lineTo(x - size, y);
  context.closePath();
  context.fill();
  context.globalAlpha = 1;
}

/** Lines from the end of each upstream run's bar to the start of the selected one's, and on to its downstream runs. */
function drawLinks(context: CanvasRenderingContext2D, frame: Frame, rowY: (index: number) => number): void {
  const selected = frame.selectedId === null ? undefined : frame.rowOf.get(frame.selectedId);
  if (selected === undefined || !frame.range) return;
  const line = (from: number, to: number) => {
    context.beginPath();
    context.moveTo(frame.x(barEnd(frame.rows[from], frame.now)), rowY(from) + ROW / 2);
    context.lineTo(frame.x(anchor(frame.rows[to])), rowY(to) + ROW / 2);
    context.stroke();
  };
  context.strokeStyle = cssVar("--fg-soft");
  context.lineWidth = 1;
  for (const id of frame.links.upstream) {
    const index = frame.rowOf.get(id);
    if (index !== undefined) line(index, selected);
  }
  for (const id of frame.links.downstream) {
    const index = frame.rowOf.get(id);
    if (index !== undefined) line(selected, index);
  }
}

function barEnd(item: TimelineItem, now: number): number {
  return item.end_ms ?? (item.start_ms === null ? anchor(item) : now);
}

/** The axis's ticks: offsets from the start, about one per 110 pixels, at round steps. */
function ticks(frame: Frame): number[] {
  if (!frame.range) return [];
  const span = frame.range.span;
  const wanted = span / Math.max(1, (frame.width - GUTTER) / 110);
  const step = TICK_STEPS.find((candidate) => candidate >= wanted) ?? TICK_STEPS[TICK_STEPS.length - 1];
  const found: number[] = [];
  for (let offset = 0; offset <= span; offset += step) found.push(offset);
  return found;
}

function drawGrid(context: CanvasRenderingContext2D, frame: Frame, border: string): void {
  context.strokeStyle = border;
  context.beginPath();
  for (const offset of ticks(frame)) {
    const tickX = Math.round(frame.x((frame.range?.low ?? 0) + offset)) + 0.5;
    context.moveTo(tickX, AXIS);
    context.lineTo(tickX, frame.height);
  }
  context.stroke();
}

function drawAxis(context: CanvasRenderingContext2D, frame: Frame, colors: { soft: string; border: string }): void {
  const { width, height, range } = frame;
  context.fillStyle = cssVar("--bg-soft");
  context.fillRect(0, 0, width, AXIS);
  context.strokeStyle = colors.border;
  context.beginPath();
  context.moveTo(0, AXIS - 0.5);
  context.lineTo(width, AXIS - 0.5);
  context.moveTo(GUTTER - 0.5, 0);
  context.lineTo(GUTTER - 0.5, height);
  context.stroke();
  context.fillStyle = colors.soft;
  context.fillText("run", 8, AXIS / 2);
  if (!range) return;
  context.textAlign = "center";
  for (const offset of ticks(frame)) {
    const tickX = frame.x(range.low + offset);
    if (tickX > width - 30) continue;
    context.fillText(offsetLabel(offset), Math.max(GUTTER + 14, tickX), AXIS / 2);
  }
  context.textAlign = "start";
}

/** `text` cut to `room` pixels with an ellipsis (a binary search over its length). */
function fitText(context: CanvasRenderingContext2D, text: string, room: number): string {
  if (context.measureText(text).width <= room) return text;
  let low = 0;
  let high = text.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (context.measureText(text.slice(0, middle) + "…").width <= room) low = middle;
    else high = middle - 1;
  }
  return text.slice(0, low) + "…";
}
