"""One orchestration workload, run in a fresh interpreter of flowtrack's or Prefect's virtualenv.

    python bench/orchestration_workloads.py flowtrack O1 --n 1000
    $PREFECT_PYTHON bench/orchestration_workloads.py prefect O1 --n 1000

Prints one JSON line: the figures, the sizes, and ``verified`` (what was checked about the result, such as
the number of task runs the store holds the moment the flow returned). Each library keeps its state in a
temporary home (``FLOWTRACK_HOME`` / ``PREFECT_HOME``) so runs never see each other. Prefect runs in its
default embedded mode (a temporary local server); its start-up is paid once in a warm-up flow, outside the
timings (O0 measures it).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Result = dict[str, Any]


def _isolate(library: str, home: Path) -> None:
    if library == "flowtrack":
        os.environ["FLOWTRACK_HOME"] = str(home)
        for name in ("FLOWTRACK_TRACKING_URI", "MLFLOW_TRACKING_URI", "FLOWTRACK_API_URL"):
            os.environ.pop(name, None)
    else:
        os.environ.update(
            {
                "PREFECT_HOME": str(home),
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "DO_NOT_TRACK": "1",
                "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
                "PREFECT_LOGGING_LEVEL": "WARNING",
            }
        )
        os.environ.pop("PREFECT_API_URL", None)


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _decorators(library: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    if library == "flowtrack":
        import flowtrack

        return flowtrack.flow, flowtrack.task
    import prefect

    return prefect.flow, prefect.task


def _task_runs_stored(library: str, flow_run_id: str) -> int:
    """How many task runs of the flow run the store shows right now."""
    if library == "flowtrack":
        from flowtrack.orchestration.stores.registry import get_orchestration_store

        store, page, count = get_orchestration_store(), 50_000, 0
        while True:
            found = len(store.list_task_runs(flow_run_id, limit=page, offset=count))
            count += found
            if found < page:
                return count
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:  # the API's count endpoint (the client has no method)
        body = {"flow_runs": {"id": {"any_": [flow_run_id]}}}
        return int(client._client.post("/task_runs/count", json=body).json())


def _current_flow_run_id(library: str) -> str:
    if library == "flowtrack":
        from flowtrack.orchestration.context import flow_run_context

        context = flow_run_context.get()
        assert context is not None
        return context.flow_run_id
    from prefect.runtime import flow_run

    return str(flow_run.id)


def run_o0(library: str) -> Result:
    """The driver times spawn to ``flow_end_epoch_s``; this process only runs the one-task flow."""
    flow, task = _decorators(library)

    @task
    def one() -> int:
        return 1

    @flow
    def cold() -> int:
        return int(one())

    value = cold()
    return {"flow_end_epoch_s": time.time(), "verified": {"returned_value": value == 1}}


def run_o1(library: str, n: int) -> Result:
    flow, task = _decorators(library)

    @task
    def trivial(i: int) -> int:
        return i

    timings: dict[str, float] = {}

    @flow
    def sequential(count: int) -> str:
        start = time.perf_counter()
        total = 0
        for i in range(count):
            total += trivial(i)
        timings["in_flow_s"] = time.perf_counter() - start
        timings["total"] = total
        return _current_flow_run_id(library)

    _warm_up(library, flow, task)
    start = time.perf_counter()
    flow_run_id = sequential(n)
    whole_s = time.perf_counter() - start
    stored = _task_runs_stored(library, flow_run_id)
    baseline_s = _plain_loop(n)
    return {
        "n": n,
        "in_flow_s": timings["in_flow_s"],
        "flow_call_s": whole_s,
        "plain_loop_s": baseline_s,
        "overhead_ms_per_task": (timings["in_flow_s"] - baseline_s) / n * 1000,
        "flow_call_ms_per_task": whole_s / n * 1000,
        "task_runs_stored_at_return": stored,
        "peak_rss_mib": _peak_rss_mib(),
        "verified": _checks(library, timings["total"] == n * (n - 1) // 2, stored == n),
    }


def run_o2(library: str, n: int) -> Result:
    flow, task = _decorators(library)

    @task
    def trivial(i: int) -> int:
        return i

    timings: dict[str, float] = {}

    @flow
    def mapped(count: int) -> tuple[int, str]:
        start = time.perf_counter()
        futures = trivial.map(list(range(count)))
        timings["submit_s"] = time.perf_counter() - start
        values = [f.result() for f in futures]
        timings["all_done_s"] = time.perf_counter() - start
        return sum(values), _current_flow_run_id(library)

    _warm_up(library, flow, task)
    start = time.perf_counter()
    total, flow_run_id = mapped(n)
    whole_s = time.perf_counter() - start
    stored = _task_runs_stored(library, flow_run_id)
    return {
        "n": n,
        "submit_s": timings["submit_s"],
        "all_done_s": timings["all_done_s"],
        "flow_call_s": whole_s,
        "task_runs_stored_at_return": stored,
        "peak_rss_mib": _peak_rss_mib(),
        "verified": _checks(library, total == n * (n - 1) // 2, stored == n),
    }


def run_o3(library: str, n: int) -> Result:
    flow, task = _decorators(library)

    @flow
    def child(i: int) -> int:
        return i

    @flow
    def parent(count: int) -> int:
        return sum(child(i) for i in range(count))

    _warm_up(library, flow, task)
    start = time.perf_counter()
    total = parent(n)
    whole_s = time.perf_counter() - start
    return {
        "n": n,
        "flow_call_s": whole_s,
        "ms_per_subflow": whole_s / n * 1000,
        "peak_rss_mib": _peak_rss_mib(),
        "verified": {"sum": total == n * (n - 1) // 2},
    }


def run_o6(library: str, n: int) -> Result:
    """Many sequential tasks in one flow: memory must stay bounded and every run must be stored."""
    flow, task = _decorators(library)

    @task
    def trivial(i: int) -> int:
        return i

    @flow
    def huge(count: int) -> tuple[int, str]:
        total = 0
        for i in range(count):
            total += trivial(i)
        return total, _current_flow_run_id(library)

    rss_before = _peak_rss_mib()
    start = time.perf_counter()
    total, flow_run_id = huge(n)
    whole_s = time.perf_counter() - start
    stored = _task_runs_stored(library, flow_run_id)
    return {
        "n": n,
        "flow_call_s": whole_s,
        "ms_per_task": whole_s / n * 1000,
        "peak_rss_mib": _peak_rss_mib(),
        "peak_rss_before_mib": rss_before,
        "task_runs_stored_at_return": stored,
        "verified": _checks(library, total == n * (n - 1) // 2, stored == n),
    }


def _checks(library: str, sum_ok: bool, all_stored: bool) -> dict[str, bool]:
    """flowtrack promises every task run is stored when the flow returns; for Prefect it is only measured."""
    checks = {"sum": sum_ok}
    if library == "flowtrack":
        checks["all_task_runs_stored"] = all_stored
    return checks


def _warm_up(library: str, flow: Callable[..., Any], task: Callable[..., Any]) -> None:
    """A trivial flow first, so one-time costs (Prefect's temporary server, table creation) are not timed."""

    @task
    def nothing() -> None:
        return None

    @flow
    def warm_up() -> None:
        nothing()

    warm_up()


def _plain_loop(n: int) -> float:
    def trivial(i: int) -> int:
        return i

    start = time.perf_counter()
    total = 0
    for i in range(n):
        total += trivial(i)
    return time.perf_counter() - start


def _version(library: str) -> str:
    from importlib.metadata import version

    return version(library)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("library", choices=["flowtrack", "prefect"])
    parser.add_argument("workload", choices=["O0", "O1", "O2", "O3", "O6"])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--home", type=Path, help="keep state here instead of a new temporary home (O0 warm)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix=f"bench-{args.library}-") as scratch:
        _isolate(args.library, args.home or Path(scratch))
        result: Result = {"loadavg_start": list(os.getloadavg())}
        if args.workload == "O0":
            result |= run_o0(args.library)
        else:
            runner = {"O1": run_o1, "O2": run_o2, "O3": run_o3, "O6": run_o6}[args.workload]
            result |= runner(args.library, args.n)
        result |= {
            "library": args.library,
            "workload": args.workload,
            "version": _version(args.library),
            "loadavg_end": list(os.getloadavg()),
            "ok": all(result["verified"].values()),
        }
        print(json.dumps(result), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
