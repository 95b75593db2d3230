// A run page's first requests, started as soon as the app's code runs instead of after React has rendered the
// page (for the run) and rendered it again (for the chart): on a cold load of a big run that chain was most of
// the wait before the chart. The pages take a preloaded answer once, when they ask for the very same thing.
import { api, Run } from "./api";

/** About 2,000 points per curve, fewer when many curves share the request (compare), never under 200. */
export function pointsPerHistory(curves: number): number {
  return Math.max(200, Math.min(2000, Math.floor(40_000 / Math.max(1, curves))));
}

/** The metrics a chart starts with: the URL's choice if it names any of `keys`, else the first `count` keys. */
export function defaultMetrics(urlChoice: string[], keys: string[], count: number): string[] {
  return urlChoice.length ? urlChoice.filter((key) => keys.includes(key)) : keys.slice(0, count);
}

/** A run's metric keys in the order its page lists them. */
export function metricKeys(run: Run): string[] {
  return (run.data.metrics ?? []).map((metric) => metric.key).sort((a, b) => a.localeCompare(b));
}

const FRESH_MS = 10_000; // older answers are not reused: the user came back to the page later
const preloaded = new Map<string, { at: number; answer: Promise<unknown> }>();

function remember(key: string, answer: Promise<unknown>): void {
  answer.catch(() => undefined); // a failure surfaces when (and if) a page takes the answer
  preloaded.set(key, { at: Date.now(), answer });
}

/** The preloaded answer for `key` if there is a fresh one (taken once), else `start()`. */
export function preloadedOr<T>(key: string, start: () => Promise<T>): Promise<T> {
  const found = preloaded.get(key);
  preloaded.delete(key);
  return found && Date.now() - found.at < FRESH_MS ? (found.answer as Promise<T>) : start();
}

export const runKey = (runId: string) => `run ${runId}`;
export const historiesKey = (runIds: string[], keys: string[], points: number) =>
  JSON.stringify([runIds, keys, points]);

/** On a run's page: fetch the run, and the moment it arrives the history its chart will ask for. */
export function preloadRunPage(path: string, search: string): void {
  const match = /^\/runs\/([^/]+)\/?$/.exec(path);
  if (!match) return;
  const runId = decodeURIComponent(match[1]);
  const run = api.getRun(runId);
  remember(runKey(runId), run);
  const urlChoice = (new URLSearchParams(search).get("metrics") ?? "").split(",").filter(Boolean).map(decodeURIComponent);
  run
    .then((found) => {
      const chosen = defaultMetrics(urlChoice, metricKeys(found.run), 1);
      if (!chosen.length) return;
      const points = pointsPerHistory(chosen.length);
      remember(historiesKey([runId], chosen, points), api.histories([runId], chosen, points));
    })
    .catch(() => undefined);
}
