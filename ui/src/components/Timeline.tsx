import { useEffect, useMemo, useRef, useState } from "react";
import { StateType } from "../api";
import { formatSpan, stateColors } from "../flowState";
import { formatDuration } from "../format";

export interface TimelineItem {
  id: string;
  name: string;
  state_type: StateType;
  state_name: string;
  start_ms: number | null;
  end_ms: number | null;
  subflow: boolean;
}

interface Props {
  items: TimelineItem[];
  /** The flow run's own start and end: the axis covers them and every bar. */
  start: number | null;
  end: number | null;
  selectedId: string | null;
  linkedIds: Set<string>; // drawn as related to the selected one (its upstream and downstream runs)
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
export function Timeline({ items, start, end, selectedId, linkedIds, onSelect }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(800);
  const [hover, setHover] = useState<{ index: number; x: number; y: number } | null>(null);
  const [theme, setTheme] = useState(0);
  const [scrollTop, setScrollTop] = useState(0);
  const rows = useMemo(
    () => [...items].sort((a, b) => (a.start_ms ?? Infinity) - (b.start_ms ?? Infinity)),
    [items],
  );
  const rowOf = useMemo(() => new Map(rows.map((item, index) => [item.id, index])), [rows]);
  const now = Date.now();
  const range = useMemo(() => {
    let low = start ?? Infinity;
    let high = end ?? -Infinity;
    for (const item of rows) {
      if (item.start_ms === null) continue;
      low = Math.min(low, item.start_ms);
      high = Math.max(high, item.end_ms ?? now);
    }
    if (!Number.isFinite(low)) return null;
    if (end === null) high = Math.max(high, now);
    return { low, span: Math.max(1, high - low) };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rows, start, end]);
  const height = Math.min(MAX_HEIGHT, AXIS + rows.length * ROW + 2);
  const total = AXIS + rows.length * ROW;

  useEffect(() => {
    const query = window.matchMedia("(prefers-color-scheme: dark)");
    const changed = () => setTheme((t) => t + 1);
    query.addEventListener("change", changed);
    return () => query.removeEventListener("change", changed);
  }, []);
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
    draw(context, { rows, rowOf, width, height, scrollTop, selectedId, linkedIds, hover: hover?.index ?? null, x, range, now });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rows, rowOf, width, height, scrollTop, selectedId, linkedIds, hover, range, theme]);

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
              ? "not started"
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
  linkedIds: Set<string>;
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
      item.id === frame.selectedId ? "--bg-selected" : frame.linkedIds.has(item.id) || index === frame.hover ? "--bg-hover" : null;
    if (background) {
      context.fillStyle = cssVar(background);
      context.fillRect(0, y, width, ROW);
    }
    context.fillStyle = item.subflow ? soft : fg;
    context.fillText(fitText(context, (item.subflow ? "↳ " : "") + item.name, GUTTER - 16), 8, y + ROW / 2);
    if (item.start_ms === null || !range) continue;
    const left = frame.x(item.start_ms);
    const right = Math.max(left + 2, frame.x(item.end_ms ?? frame.now));
    context.fillStyle = colors[item.state_type];
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

/** Lines from the end of each upstream bar to the start of the selected one's. */
function drawLinks(context: CanvasRenderingContext2D, frame: Frame, rowY: (index: number) => number): void {
  const selected = frame.selectedId === null ? undefined : frame.rowOf.get(frame.selectedId);
  if (selected === undefined || !frame.range) return;
  const target = frame.rows[selected];
  if (target.start_ms === null) return;
  context.strokeStyle = cssVar("--fg-soft");
  context.lineWidth = 1;
  for (const id of frame.linkedIds) {
    const index = frame.rowOf.get(id);
    const source = index === undefined ? undefined : frame.rows[index];
    if (index === undefined || !source || source.start_ms === null) continue;
    const upstream = index < selected || (source.end_ms ?? frame.now) <= target.start_ms;
    const [from, to] = upstream ? [index, selected] : [selected, index];
    const fromItem = frame.rows[from];
    const toItem = frame.rows[to];
    if (fromItem.start_ms === null || toItem.start_ms === null) continue;
    context.beginPath();
    context.moveTo(frame.x(fromItem.end_ms ?? frame.now), rowY(from) + ROW / 2);
    context.lineTo(frame.x(toItem.start_ms), rowY(to) + ROW / 2);
    context.stroke();
  }
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
