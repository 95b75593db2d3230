"""Orchestration benchmark driver: flowtrack and Prefect 3 side by side, same workloads, same invocation.

    .venv/bin/python bench/orchestration.py                       # O0-O3 and O6, Prefect where installed
    .venv/bin/python bench/orchestration.py --only O1 O3 --quick  # a few workloads, small sizes
    .venv/bin/python bench/orchestration.py --no-prefect          # flowtrack alone

Each (library, workload) runs ``bench/orchestration_workloads.py`` in a fresh interpreter of that library's
virtualenv (Prefect's comes from ``../shared/tools/anchor-venvs.sh prefect``), back to back, so the machine's
load hits both; read the ratios of one invocation. Prefect's subflows cost over a second each, so its O3 runs
fewer of them (``--prefect-o3``); the per-subflow figures are compared. O6 (100,000 tasks) runs for flowtrack
only unless ``--prefect-o6`` gives a size. The raw results go to a JSON file (``--out``).

Workloads: O0 cold start to the end of a one-task flow in a fresh process (in a new home, and again in a
home whose database exists: O0-warm); O1 1,000 trivial tasks called in sequence (overhead per task beyond a
plain loop); O2 1,000 trivial tasks through ``map`` on the thread pool; O3 subflows; O6 100,000 tasks with
peak RSS. Every run checks its result and, where it applies, that every
task run is in the store the moment the flow returned.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from interpreters import check_interpreter, resolve_prefect_python  # bench/ is not a package

BENCH_DIR = Path(__file__).resolve().parent
WORKLOADS_SCRIPT = BENCH_DIR / "orchestration_workloads.py"
ALL_WORKLOADS = ("O0", "O1", "O2", "O3", "O6")
JOB_TIMEOUT_S = 3_600

Result = dict[str, Any]


@dataclass(frozen=True)
class Sizes:
    o1: int = 1000
    o2: int = 1000
    o3: int = 100
    prefect_o3: int = 20
    o6: int = 100_000
    prefect_o6: int = 0
    o0_repeats: int = 3


QUICK = Sizes(o1=200, o2=200, o3=20, prefect_o3=5, o6=5_000, o0_repeats=1)


@dataclass
class Row:
    workload: str
    measure: str
    flowtrack: float | None
    prefect: float | None
    unit: str
    goal: str = ""
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.flowtrack and self.prefect:
            return self.prefect / self.flowtrack
        return None


def run_job(python: str, library: str, workload: str, n: int | None, home: Path | None = None) -> Result:
    """One workload in a fresh interpreter: its JSON line plus times from spawn, or an error record."""
    command = [python, str(WORKLOADS_SCRIPT), library, workload]
    if n is not None:
        command += ["--n", str(n)]
    if home is not None:
        command += ["--home", str(home)]
    print(f"  running {library} {workload} {n or ''} ...", file=sys.stderr, flush=True)
    spawned = time.time()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=JOB_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return {"library": library, "workload": workload, "ok": False, "error": "timed out"}
    exited = time.time()
    result = _last_json_line(done.stdout)
    if result is None:
        tail = (done.stderr or done.stdout).strip()[-3000:]
        print(f"  FAILED {library} {workload} (exit {done.returncode}):\n{tail}", file=sys.stderr, flush=True)
        return {"library": library, "workload": workload, "ok": False, "error": tail}
    result["spawn_to_exit_s"] = exited - spawned
    if "flow_end_epoch_s" in result:
        result["spawn_to_flow_end_s"] = result["flow_end_epoch_s"] - spawned
    return result


def _last_json_line(stdout: str) -> Result | None:
    for line in reversed(stdout.splitlines()):
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict) and "workload" in value:
                return value
    return None


def run_all(workloads: list[str], sizes: Sizes, prefect_python: str | None) -> list[Result]:
    flowtrack_python = sys.executable
    results: list[Result] = []
    for workload in workloads:
        pythons = {"flowtrack": flowtrack_python}
        if prefect_python and (workload != "O6" or sizes.prefect_o6):
            pythons["prefect"] = prefect_python
        for library, python in pythons.items():
            if workload == "O0":
                runs = [run_job(python, library, "O0", None) for _ in range(sizes.o0_repeats)]
                results.append(_median_o0(library, "O0", runs))
                results.append(_o0_existing_home(python, library, sizes.o0_repeats))
            else:
                results.append(run_job(python, library, workload, _size(sizes, library, workload)))
    return results


def _size(sizes: Sizes, library: str, workload: str) -> int:
    if workload == "O3" and library == "prefect":
        return sizes.prefect_o3
    if workload == "O6" and library == "prefect":
        return sizes.prefect_o6
    return int(getattr(sizes, workload.lower()))


def _o0_existing_home(python: str, library: str, repeats: int) -> Result:
    """O0 again in one home whose database a first, untimed run created (a user's second script)."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{library}-home-") as home:
        run_job(python, library, "O0", None, Path(home))
        runs = [run_job(python, library, "O0", None, Path(home)) for _ in range(repeats)]
    return _median_o0(library, "O0-warm", runs)


def _median_o0(library: str, workload: str, runs: list[Result]) -> Result:
    good = [r for r in runs if r.get("ok")]
    if not good:
        return runs[0]
    return {
        "library": library,
        "workload": workload,
        "ok": len(good) == len(runs),
        "spawn_to_flow_end_s": statistics.median(r["spawn_to_flow_end_s"] for r in good),
        "spawn_to_exit_s": statistics.median(r["spawn_to_exit_s"] for r in good),
        "samples_s": [r["spawn_to_flow_end_s"] for r in good],
        "version": good[0].get("version"),
        "verified": {k: all(r["verified"][k] for r in good) for k in good[0]["verified"]},
    }


def build_rows(results: list[Result]) -> list[Row]:
    def pick(library: str, workload: str) -> Result:
        for result in results:
            if result.get("library") == library and result.get("workload") == workload and result.get("ok"):
                return result
        return {}

    def value(result: Result, key: str, scale: float = 1.0) -> float | None:
        return None if key not in result else float(result[key]) * scale

    rows: list[Row] = []
    specs = [
        ("O0", "spawn to end of a one-task flow, new home", "spawn_to_flow_end_s", 1.0, "s", "<=0.5 s"),
        ("O0-warm", "the same, database already created", "spawn_to_flow_end_s", 1.0, "s", "<=0.5 s"),
        ("O1", "overhead per sequential task", "overhead_ms_per_task", 1.0, "ms", "<=0.2 ms, >=50x"),
        ("O1", "flow call per task (incl. final write)", "flow_call_ms_per_task", 1.0, "ms", ""),
        ("O1", "task runs stored when the flow returned", "task_runs_stored_at_return", 1.0, "", ""),
        ("O2", "1,000 tasks via map, flow call", "flow_call_s", 1.0, "s", ">=30x"),
        ("O2", "task runs stored when the flow returned", "task_runs_stored_at_return", 1.0, "", ""),
        ("O3", "per subflow", "ms_per_subflow", 1.0, "ms", "<=10 ms, >=100x"),
        ("O6", "100,000 tasks, flow call", "flow_call_s", 1.0, "s", ""),
        ("O6", "peak RSS", "peak_rss_mib", 1.0, "MiB", "bounded"),
        ("O6", "task runs stored when the flow returned", "task_runs_stored_at_return", 1.0, "", ""),
    ]
    for workload, measure, key, scale, unit, goal in specs:
        ours, theirs = pick("flowtrack", workload), pick("prefect", workload)
        if not ours and not theirs:
            continue
        row = Row(workload, measure, value(ours, key, scale), value(theirs, key, scale), unit, goal)
        if "n" in ours and unit != "MiB":
            row.note = f"n={ours['n']}" + (f", prefect n={theirs['n']}" if theirs.get("n") else "")
        rows.append(row)
    return rows


def print_table(rows: list[Row], results: list[Result]) -> None:
    header = f"{'':7} {'measure':42} {'flowtrack':>12} {'prefect':>12} {'ratio':>9}  {'goal':16} note"
    print(header)
    print("-" * len(header))
    for row in rows:
        ours, theirs = _cell(row.flowtrack, row.unit), _cell(row.prefect, row.unit)
        ratio = "-" if row.ratio is None or not row.unit or row.unit == "MiB" else f"{row.ratio:.0f}x"
        print(
            f"{row.workload:7} {row.measure:42} {ours:>12} {theirs:>12} {ratio:>9}  {row.goal:16} {row.note}"
        )
    failed = [f"{r.get('library')} {r.get('workload')}" for r in results if not r.get("ok")]
    if failed:
        print(f"\nFAILED OR CHECK FAILED: {', '.join(failed)}")


def _cell(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{value:.4g} {unit}" if unit else f"{value:,.0f}"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=ALL_WORKLOADS, default=list(ALL_WORKLOADS))
    parser.add_argument("--quick", action="store_true", help="small sizes, one O0 sample")
    parser.add_argument("--prefect-python", help="Prefect's interpreter (default: the anchor virtualenv)")
    parser.add_argument("--no-prefect", action="store_true")
    parser.add_argument("--prefect-o3", type=int, help="subflows Prefect runs in O3")
    parser.add_argument("--prefect-o6", type=int, default=0, help="tasks Prefect runs in O6 (0: skip)")
    parser.add_argument("--o6", type=int, help="tasks flowtrack runs in O6")
    parser.add_argument("--out", type=Path, help="write the raw results as JSON here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = QUICK if args.quick else Sizes()
    overrides = {"prefect_o6": args.prefect_o6}
    if args.prefect_o3:
        overrides["prefect_o3"] = args.prefect_o3
    if args.o6:
        overrides["o6"] = args.o6
    sizes = Sizes(**{**sizes.__dict__, **overrides})
    prefect_python = resolve_prefect_python(args.prefect_python, disabled=args.no_prefect)
    versions = {"flowtrack": check_interpreter(sys.executable, "flowtrack")}
    if prefect_python:
        versions["prefect"] = check_interpreter(prefect_python, "prefect")
    print(f"versions: {versions}; load average {os.getloadavg()}", file=sys.stderr)
    results = run_all(list(args.only), sizes, prefect_python)
    rows = build_rows(results)
    print_table(rows, results)
    if args.out:
        record = {"when": datetime.now(UTC).isoformat(), "versions": versions, "sizes": sizes.__dict__}
        args.out.write_text(json.dumps({**record, "results": results}, indent=2))
    return 0 if all(r.get("ok") for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
