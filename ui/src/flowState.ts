// What the orchestration pages share: which states are final or live, their colours, log level names.
import { StateType } from "./api";
import { formatSpan } from "./format";

export const STATE_TYPES: StateType[] = ["SCHEDULED", "PENDING", "RUNNING", "COMPLETED", "FAILED", "CRASHED", "CANCELLING", "CANCELLED"];

const FINAL = new Set<StateType>(["COMPLETED", "FAILED", "CRASHED", "CANCELLED"]);
// States a run can leave on its own: a page showing one refreshes itself.
const LIVE = new Set<StateType>(["SCHEDULED", "PENDING", "RUNNING", "CANCELLING"]);

export const isFinal = (state: StateType) => FINAL.has(state);
export const isLive = (state: StateType) => LIVE.has(state);

export const LIVE_REFRESH_MS = 5000;

/** The CSS variable that colours a state, for canvases (the badges use the `state-<TYPE>` classes). */
const STATE_VARS: Record<StateType, string> = {
  SCHEDULED: "--warn",
  PENDING: "--warn",
  RUNNING: "--accent",
  COMPLETED: "--ok",
  FAILED: "--danger",
  CRASHED: "--danger",
  CANCELLING: "--fg-soft",
  CANCELLED: "--fg-soft",
};

export function stateColors(): Record<StateType, string> {
  const style = getComputedStyle(document.documentElement);
  const colors = {} as Record<StateType, string>;
  for (const state of STATE_TYPES) colors[state] = style.getPropertyValue(STATE_VARS[state]).trim() || "#888";
  return colors;
}

const LEVELS: [number, string][] = [
  [50, "CRITICAL"],
  [40, "ERROR"],
  [30, "WARNING"],
  [20, "INFO"],
  [10, "DEBUG"],
];

export function levelName(level: number): string {
  return LEVELS.find(([at]) => level >= at)?.[1] ?? "NOTSET";
}

/** How long a run took, or has been running; "" before it starts (or when it ended without an end time). */
export function runDuration(run: { start_ms: number | null; end_ms: number | null; state_type: StateType }): string {
  if (run.start_ms === null || (run.end_ms === null && !isLive(run.state_type))) return "";
  return formatSpan((run.end_ms ?? Date.now()) - run.start_ms);
}
