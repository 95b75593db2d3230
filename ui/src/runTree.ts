import { useEffect, useRef, useState } from "react";
import { api, TableRow } from "./api";

/** The children a parent row shows when expanded; beyond this the run's own page lists them. */
export const MAX_CHILDREN = 1000;

/** The runs table's query without paging: the children of a run are asked for with the same sort. */
export type RunQuery = Omit<Parameters<typeof api.runTable>[0], "offset" | "limit" | "count">;

/** A row of the nested table: a top-level run (by its index among them) or a child at some depth. */
export interface TreeRow {
  run: TableRow | undefined;
  depth: number;
  topIndex: number;
}

/**
 * The children of each expanded run, fetched once per query (sort, view) and run; a new query drops them.
 * Children of children are fetched the same way, so nesting goes as deep as the runs do.
 */
export function useChildRuns(query: RunQuery | null, expanded: Set<string>, reload: number): Map<string, TableRow[]> {
  const [, setVersion] = useState(0);
  const cache = useRef({ key: "", children: new Map<string, TableRow[] | "loading">() });
  const key = JSON.stringify([query, reload]);
  if (cache.current.key !== key) cache.current = { key, children: new Map() };

  useEffect(() => {
    if (!query) return;
    const snapshot = cache.current;
    for (const parentId of expanded) {
      if (snapshot.children.has(parentId)) continue;
      snapshot.children.set(parentId, "loading");
      api
        .runTable({ ...query, top_level_only: undefined, parent_run_id: parentId, offset: 0, limit: MAX_CHILDREN, count: false })
        .catch(() => ({ runs: [] as TableRow[] })) // the parent row stays; its expander just opens on nothing
        .then((page) => {
          snapshot.children.set(parentId, page.runs);
          if (cache.current === snapshot) setVersion((v) => v + 1);
        });
    }
  });

  const loaded = new Map<string, TableRow[]>();
  for (const [parentId, runs] of cache.current.children) if (runs !== "loading") loaded.set(parentId, runs);
  return loaded;
}

interface Insertion {
  topIndex: number;
  rows: TreeRow[];
}

/**
 * Top-level rows (loaded a page at a time) with the children of expanded runs inserted below them:
 * ``count`` rows in all, ``at(index)`` the row shown at an index. Only expanded runs cost anything.
 */
export function treeRows(
  total: number,
  topRow: (index: number) => TableRow | undefined,
  topIndexOf: (runIds: Set<string>) => Map<string, number>,
  expanded: Set<string>,
  children: Map<string, TableRow[]>,
): { count: number; at: (index: number) => TreeRow } {
  const insertions: Insertion[] = [];
  for (const [runId, topIndex] of topIndexOf(expanded)) {
    const rows: TreeRow[] = [];
    addChildren(runId, 1, topIndex, expanded, children, rows, new Set([runId]));
    if (rows.length) insertions.push({ topIndex, rows });
  }
  insertions.sort((a, b) => a.topIndex - b.topIndex);
  const count = insertions.reduce((sum, insertion) => sum + insertion.rows.length, total);
  const at = (index: number): TreeRow => {
    let shift = 0;
    for (const insertion of insertions) {
      const parentAt = insertion.topIndex + shift;
      if (index <= parentAt) break;
      if (index <= parentAt + insertion.rows.length) return insertion.rows[index - parentAt - 1];
      shift += insertion.rows.length;
    }
    return { run: topRow(index - shift), depth: 0, topIndex: index - shift };
  };
  return { count, at };
}

function addChildren(
  parentId: string,
  depth: number,
  topIndex: number,
  expanded: Set<string>,
  children: Map<string, TableRow[]>,
  into: TreeRow[],
  seen: Set<string>, // a run tagged as its own ancestor must not loop forever
): void {
  for (const run of children.get(parentId) ?? []) {
    into.push({ run, depth, topIndex });
    if (expanded.has(run.run_id) && !seen.has(run.run_id)) {
      seen.add(run.run_id);
      addChildren(run.run_id, depth + 1, topIndex, expanded, children, into, seen);
    }
  }
}
