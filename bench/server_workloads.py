"""Server workloads: the client side of bench/server.py, written once against the MLflow client API.

    $MLFLOW_PY bench/server_workloads.py mlflow t1 --uri http://127.0.0.1:5000 [--t1-steps 1000]
    .venv/bin/python bench/server_workloads.py flowtrack t3 --uri http://127.0.0.1:5000

The first argument names the client library to import (``mlflow``, ``flowtrack``, or ``wire``: the mlflow
client's requests sent with the standard library, see bench/wire); the tracking URI is
the server under test. bench/server.py drives every server with the SAME client (mlflow's, under MLflow's
virtualenv), so the figures compare servers, not clients. Each invocation prints ONE JSON line with its
timings and verification flags. Only the standard library (and bench/workloads.py's seeded T2 data) is
imported here, so this file runs unchanged under MLflow's own virtualenv.

Workloads (see bench/README.md):

* ``t1``: one run; 10 metrics x N steps, one fluent ``log_metric`` call per point (incl. ``end_run``);
  then 10 metrics x M steps through ``MlflowClient().log_batch`` in chunks of 1,000 into a second run.
* ``t2``: N runs via ``create_run(tags)`` + ``log_batch(params, metrics)`` + ``set_terminated``, then a
  filtered, ordered ``search_runs``.
* ``t3``: one metric of N steps via ``log_batch`` (chunks of 1,000), then ``get_metric_history``.
* ``ingest``: one of several concurrent writers: own experiment and run, prints ``READY`` and waits for a line
  on stdin, then logs N batches of 1,000 points and prints its timings.
* ``count``: counts every point of the given runs afterwards (``get_metric_history``), for ``ingest``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import platform
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workloads import (  # bench/ is not a package; this file runs as a script
    LIBRARIES,
    T1_METRICS,
    T2_FILTER,
    T2_MAX_RESULTS,
    T2_ORDER_BY,
    T3_CHUNK,
    T3_KEY,
    _median,
    _t2_expected,
    _timed,
    t2_data,
)

WORKLOADS = ("t1", "t2", "t3", "ingest", "count")
WIRE = "wire"  # bench/wire: the mlflow client's requests over plain HTTP, so the figures are the server's
INGEST_KEY = "ingest"

Result = dict[str, Any]


def _isolate_environment(uri: str) -> None:
    """Point both libraries at the server; keep anything local (./mlruns, FLOWTRACK_HOME) in a temp dir."""
    workdir = Path(tempfile.mkdtemp(prefix="flowtrack-bench-client-"))
    for name in ("MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID"):
        os.environ.pop(name, None)
    os.environ["MLFLOW_TRACKING_URI"] = uri
    os.environ["FLOWTRACK_TRACKING_URI"] = uri
    os.environ["FLOWTRACK_HOME"] = str(workdir / "flowtrack-home")
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    os.chdir(workdir)


def _load(library: str, uri: str) -> tuple[Any, Any]:
    lib = importlib.import_module(library)
    lib.set_tracking_uri(uri)
    return lib, lib.MlflowClient(tracking_uri=uri)


def _experiment(client: Any, name: str) -> str:
    return str(client.create_experiment(f"{name}-{uuid.uuid4().hex[:8]}"))


def _metric(lib: Any) -> Any:
    return importlib.import_module(f"{lib.__name__}.entities").Metric


def _param(lib: Any) -> Any:
    return importlib.import_module(f"{lib.__name__}.entities").Param


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[first : first + size] for first in range(0, len(items), size)]


# -- T1 ------------------------------------------------------------------------------------------------------
def run_t1(lib: Any, client: Any, steps: int, batch_steps: int) -> Result:
    """10 metrics x ``steps``: one fluent log_metric per point; then 10 x ``batch_steps`` via log_batch."""
    experiment_id = _experiment(client, "server-t1")
    lib.set_experiment(experiment_id=experiment_id)
    keys = [f"metric_{index}" for index in range(T1_METRICS)]
    points = [(step, number, key) for step in range(steps) for number, key in enumerate(keys)]

    start_run_s, active = _timed(lib.start_run)
    run_id = active.info.run_id
    start = time.perf_counter()
    for step, number, key in points:
        lib.log_metric(key, math.sin(step / 50 + number), step=step)
    metrics_s = time.perf_counter() - start
    end_run_s, _ = _timed(lib.end_run)

    metric = _metric(lib)
    batch_run_id = client.create_run(experiment_id).info.run_id
    base = int(time.time() * 1000)
    batch_points = [(step, number, key) for step in range(batch_steps) for number, key in enumerate(keys)]
    batch = [
        metric(key, math.sin(step / 50 + number), base + step, step) for step, number, key in batch_points
    ]
    batch_s: list[float] = []
    for chunk in _chunks(batch, T3_CHUNK):
        elapsed, _ = _timed(lambda chunk=chunk: client.log_batch(batch_run_id, metrics=chunk))
        batch_s.append(elapsed)
    terminate_s, _ = _timed(lambda: client.set_terminated(batch_run_id))

    calls = len(points)
    per_call_s = (metrics_s + end_run_s) / calls
    batch_total_s = sum(batch_s) + terminate_s
    verified = {}
    for label, checked, count in (("per_call", run_id, steps), ("batch", batch_run_id, batch_steps)):
        lengths = [len(client.get_metric_history(checked, key)) for key in keys]
        last = sorted(point.step for point in client.get_metric_history(checked, keys[-1]))
        verified[f"{label}_every_metric_has_all_steps"] = all(length == count for length in lengths)
        verified[f"{label}_steps_complete"] = last == list(range(count))
        verified[f"{label}_run_finished"] = client.get_run(checked).info.status == "FINISHED"
    return {
        "steps": steps,
        "log_metric_calls": calls,
        "start_run_s": start_run_s,
        "log_metrics_s": metrics_s,
        "end_run_s": end_run_s,
        "log_metric_total_s": metrics_s + end_run_s,
        "log_metric_us_per_call_incl_end_run": per_call_s * 1e6,
        "log_metric_points_per_s": 1 / per_call_s,
        "batch_steps": batch_steps,
        "batch_points": len(batch),
        "batches": len(batch_s),
        "batch_total_s": batch_total_s,
        "batch_median_ms": _median(batch_s) * 1e3,
        "batch_us_per_point": batch_total_s / len(batch) * 1e6,
        "batch_points_per_s": len(batch) / batch_total_s,
        "verified": verified,
    }


# -- T2 ------------------------------------------------------------------------------------------------------
def run_t2(lib: Any, client: Any, runs: int, repeats: int) -> Result:
    """``runs`` runs via create_run + log_batch + set_terminated, then a filtered, ordered search_runs."""
    data = t2_data(runs)
    expected = _t2_expected(data)
    experiment_id = _experiment(client, "server-t2")
    metric, param = _metric(lib), _param(lib)

    per_run: list[float] = []
    start = time.perf_counter()
    for run in data:
        begin = time.perf_counter()
        now = int(time.time() * 1000)
        run_id = client.create_run(experiment_id, tags=run["tags"]).info.run_id
        client.log_batch(
            run_id,
            metrics=[metric(key, float(value), now, 0) for key, value in run["metrics"].items()],
            params=[param(key, str(value)) for key, value in run["params"].items()],
        )
        client.set_terminated(run_id)
        per_run.append(time.perf_counter() - begin)
    create_s = time.perf_counter() - start

    search_s: list[float] = []
    found: list[Any] = []
    for _ in range(repeats):
        elapsed, found = _timed(
            lambda: client.search_runs(
                experiment_ids=[experiment_id],
                filter_string=T2_FILTER,
                order_by=T2_ORDER_BY,
                max_results=T2_MAX_RESULTS,
            )
        )
        search_s.append(elapsed)
    rmse = [float(run.data.metrics["rmse"]) for run in found]
    want = expected[:T2_MAX_RESULTS]
    all_runs = client.search_runs(experiment_ids=[experiment_id], max_results=max(runs, 1))
    return {
        "runs": runs,
        "create_s": create_s,
        "create_ms_per_run": create_s / runs * 1e3,
        "create_ms_per_run_median": _median(per_run) * 1e3,
        "search_repeats": repeats,
        "search_first_ms": search_s[0] * 1e3,
        "search_median_ms": _median(search_s) * 1e3,
        "search_samples_ms": [value * 1e3 for value in search_s],
        "search_matching_runs": len(expected),
        "search_returned": len(found),
        "verified": {
            "all_runs_created": len(all_runs) == runs,
            "all_runs_finished": all(run.info.status == "FINISHED" for run in all_runs),
            "filtered": all(
                run.data.params.get("model") == "rf" and run.data.metrics["rmse"] < 0.5 for run in found
            ),
            "sorted": rmse == sorted(rmse),
            "expected_count": len(found) == len(want),
            "expected_runs": len(rmse) == len(want)
            and all(math.isclose(a, b) for a, b in zip(rmse, want, strict=True)),
        },
    }


# -- T3 ------------------------------------------------------------------------------------------------------
def run_t3(lib: Any, client: Any, points: int, repeats: int) -> Result:
    """One metric of ``points`` steps via log_batch (chunks of 1,000), then get_metric_history."""
    experiment_id = _experiment(client, "server-t3")
    run_id = client.create_run(experiment_id).info.run_id
    metric = _metric(lib)
    base = int(time.time() * 1000)
    batch = [metric(T3_KEY, math.sin(step / 100), base + step, step) for step in range(points)]
    batch_s: list[float] = []
    for chunk in _chunks(batch, T3_CHUNK):
        elapsed, _ = _timed(lambda chunk=chunk: client.log_batch(run_id, metrics=chunk))
        batch_s.append(elapsed)
    client.set_terminated(run_id)
    ingest_s = sum(batch_s)

    history_s: list[float] = []
    history: list[Any] = []
    for _ in range(repeats):
        elapsed, history = _timed(lambda: client.get_metric_history(run_id, T3_KEY))
        history_s.append(elapsed)
    steps = sorted(point.step for point in history)
    return {
        "points": points,
        "batches": len(batch_s),
        "ingest_s": ingest_s,
        "ingest_points_per_s": points / ingest_s if ingest_s else math.nan,
        "batch_median_ms": _median(batch_s) * 1e3,
        "batch_max_ms": max(batch_s, default=math.nan) * 1e3,
        "history_repeats": repeats,
        "history_first_ms": history_s[0] * 1e3,
        "history_median_ms": _median(history_s) * 1e3,
        "history_samples_ms": [value * 1e3 for value in history_s],
        "history_points": len(history),
        "verified": {
            "all_points_returned": len(history) == points,
            "steps_complete": steps == list(range(points)),
            "values_match": all(
                math.isclose(p.value, math.sin(p.step / 100), abs_tol=1e-12) for p in history
            ),
        },
    }


# -- concurrent ingest ---------------------------------------------------------------------------------------
def run_ingest(lib: Any, client: Any, batches: int, worker: int) -> Result:
    """One concurrent writer: set up, print READY, wait for a line on stdin, then log ``batches`` x 1,000."""
    experiment_id = _experiment(client, f"server-ingest-{worker}")
    run_id = client.create_run(experiment_id).info.run_id
    metric = _metric(lib)
    base = int(time.time() * 1000)
    chunks = [
        [metric(INGEST_KEY, float(step), base + step, step) for step in range(first, first + T3_CHUNK)]
        for first in range(0, batches * T3_CHUNK, T3_CHUNK)
    ]
    print("READY", flush=True)
    sys.stdin.readline()  # the driver releases every writer at once
    started = time.time()
    batch_s: list[float] = []
    for chunk in chunks:
        elapsed, _ = _timed(lambda chunk=chunk: client.log_batch(run_id, metrics=chunk))
        batch_s.append(elapsed)
    finished = time.time()
    client.set_terminated(run_id)
    return {
        "worker": worker,
        "run_id": run_id,
        "batches": batches,
        "points": batches * T3_CHUNK,
        "started_epoch_s": started,
        "finished_epoch_s": finished,
        "ingest_s": finished - started,
        "batch_median_ms": _median(batch_s) * 1e3,
        "batch_max_ms": max(batch_s, default=math.nan) * 1e3,
        "verified": {"all_batches_accepted": len(batch_s) == batches},
    }


def run_count(client: Any, run_ids: list[str], expected: int) -> Result:
    """Count every point of ``run_ids`` afterwards; each run must hold steps 0..expected-1 of ``ingest``."""
    counts = {}
    complete = True
    for run_id in run_ids:
        history = client.get_metric_history(run_id, INGEST_KEY)
        counts[run_id] = len(history)
        steps = sorted(point.step for point in history)
        complete = complete and steps == list(range(expected)) and all(p.value == p.step for p in history)
    return {
        "runs": len(run_ids),
        "counts": counts,
        "points_counted": sum(counts.values()),
        "verified": {
            "every_run_has_every_point": all(count == expected for count in counts.values()),
            "steps_and_values_complete": complete,
        },
    }


# -- main ----------------------------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> Result:
    result: Result = {
        "library": args.library,
        "workload": args.workload,
        "uri": args.uri,
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "platform": platform.platform(),
        "loadavg_start": list(os.getloadavg()),
    }
    _isolate_environment(args.uri)
    import_s, (lib, client) = _timed(lambda: _load(args.library, args.uri))
    result["version"] = str(getattr(lib, "__version__", "?"))
    result["import_in_process_s"] = import_s
    if args.workload == "t1":
        result.update(run_t1(lib, client, args.t1_steps, args.t1_batch_steps or args.t1_steps))
    elif args.workload == "t2":
        result.update(run_t2(lib, client, args.t2_runs, args.repeats))
    elif args.workload == "t3":
        result.update(run_t3(lib, client, args.t3_points, args.repeats))
    elif args.workload == "ingest":
        result.update(run_ingest(lib, client, args.batches, args.worker))
    else:
        result.update(run_count(client, args.run_ids.split(","), args.expected))
    result["loadavg_end"] = list(os.getloadavg())
    result["ok"] = all(result["verified"].values())
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("library", choices=(*LIBRARIES, WIRE))
    parser.add_argument("workload", choices=WORKLOADS)
    parser.add_argument("--uri", required=True, help="tracking server, e.g. http://127.0.0.1:5000")
    parser.add_argument("--t1-steps", type=int, default=1_000, help="steps per metric in T1 (10 metrics)")
    parser.add_argument(
        "--t1-batch-steps", type=int, help="steps per metric of T1's log_batch part (default: --t1-steps)"
    )
    parser.add_argument("--t2-runs", type=int, default=1_000, help="runs created in T2")
    parser.add_argument("--t3-points", type=int, default=100_000, help="points of the one T3 metric")
    parser.add_argument("--repeats", type=int, default=5, help="searches / history reads per figure")
    parser.add_argument("--batches", type=int, default=10, help="ingest: batches of 1,000 points")
    parser.add_argument("--worker", type=int, default=0, help="ingest: this writer's number")
    parser.add_argument("--run-ids", default="", help="count: comma list of run ids")
    parser.add_argument("--expected", type=int, default=0, help="count: points per run")
    args = parser.parse_args(argv)
    for name in ("t1_steps", "t2_runs", "t3_points", "repeats", "batches"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    result = run(parse_args(argv))
    print(json.dumps(result), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
