"""Tracking workloads, written once against the MLflow API and run with either library.

    python bench/workloads.py flowtrack t1 [--t1-steps 1000]
    /path/to/mlflow-venv/bin/python bench/workloads.py mlflow t2 [--t2-runs 200]

The first argument names the module to import (``flowtrack`` or ``mlflow``); the same code then drives it, as
``import flowtrack as mlflow`` would. Each workload uses an embedded SQLite store (``sqlite:///<tmp>/x.db``)
and an artifact location in a fresh temporary directory, and prints ONE JSON line with its timings and
verification flags. Only the standard library is imported here, so this file runs unchanged under MLflow's
own virtualenv.

Workloads (see bench/README.md):

* ``import``: ``python -c "import <lib>"`` (and ``import <lib>; <lib>.MlflowClient``) in fresh interpreters.
* ``t1``: one run; 50 ``log_param`` calls, then 10 metrics x N steps, one ``log_metric`` call per point.
* ``t2``: N runs through the fluent API (start_run/log_params/log_metrics/set_tags/end_run), then a filtered,
  ordered ``MlflowClient().search_runs``.
* ``t3``: one metric of N steps via ``MlflowClient().log_batch`` in chunks of 1,000, then
  ``MlflowClient().get_metric_history``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import math
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

LIBRARIES = ("flowtrack", "mlflow")
WORKLOADS = ("import", "t1", "t2", "t3")

T1_PARAMS = 50
T1_METRICS = 10
T2_MODELS = ("rf", "xgb", "lr")
T2_FILTER = "metrics.rmse < 0.5 and params.model = 'rf'"
T2_ORDER_BY = ["metrics.rmse ASC"]
T2_MAX_RESULTS = 100
T3_KEY = "loss"
T3_CHUNK = 1_000
SEED = 20261126

Result = dict[str, Any]


# -- helpers -------------------------------------------------------------------------------------------------
def _median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _timed(function: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


@contextlib.contextmanager
def _workdir(keep: bool) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="flowtrack-bench-"))
    try:
        yield path
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)


def _isolate_environment(workdir: Path) -> None:
    """Keep both libraries inside ``workdir``; set before the library is imported."""
    for name in (
        "MLFLOW_TRACKING_URI",
        "FLOWTRACK_TRACKING_URI",
        "MLFLOW_EXPERIMENT_NAME",
        "MLFLOW_EXPERIMENT_ID",
    ):
        os.environ.pop(name, None)
    os.environ["FLOWTRACK_HOME"] = str(workdir / "flowtrack-home")
    os.environ["FLOWTRACK_ARTIFACT_ROOT"] = str(workdir / "artifacts")
    # MLflow's usage telemetry runs in a background thread; switching it off can only make MLflow faster.
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    os.chdir(workdir)  # MLflow falls back to ./mlruns for anything not configured


def _load(library: str) -> Any:
    if library not in LIBRARIES:
        raise SystemExit(f"library must be one of {LIBRARIES}, got {library!r}")
    return importlib.import_module(library)


def _setup_experiment(lib: Any, workdir: Path, name: str) -> tuple[str, float]:
    """Point ``lib`` at a fresh SQLite file; returns (experiment id, seconds taken incl. schema creation)."""
    start = time.perf_counter()
    lib.set_tracking_uri(f"sqlite:///{workdir / 'x.db'}")
    artifact_location = (workdir / "artifacts").as_uri()
    experiment_id = str(lib.create_experiment(name, artifact_location=artifact_location))
    lib.set_experiment(experiment_id=experiment_id)
    return experiment_id, time.perf_counter() - start


def _client(lib: Any) -> Any:
    """``MlflowClient`` bound to the URI given to ``set_tracking_uri``.

    The URI is passed explicitly (valid for both libraries), so a client that ignores ``set_tracking_uri``
    still measures the benchmark's database; whether ``MlflowClient()`` follows it is reported separately
    (``client_follows_set_tracking_uri``), as a compatibility note rather than a timing.
    """
    return lib.MlflowClient(tracking_uri=lib.get_tracking_uri())


def client_follows_set_tracking_uri(lib: Any) -> bool:
    return bool(lib.MlflowClient().tracking_uri == lib.get_tracking_uri())


def _metric_class(lib: Any) -> Any:
    return importlib.import_module(f"{lib.__name__}.entities").Metric


# -- import --------------------------------------------------------------------------------------------------
def run_import(library: str, repeats: int) -> Result:
    """Fresh interpreters: ``pass``, ``import <lib>``, ``import <lib>; <lib>.MlflowClient``."""
    snippets = {
        "baseline_pass": "pass",
        "import": f"import {library}",
        "import_client": f"import {library}; {library}.MlflowClient",
    }
    samples: dict[str, list[float]] = {name: [] for name in snippets}
    failures: list[str] = []
    for _ in range(repeats):
        for name, code in snippets.items():  # interleaved, so load changes hit every variant
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
            samples[name].append(time.perf_counter() - start)
            if done.returncode != 0:
                failures.append(f"{code}: {done.stderr.strip().splitlines()[-1:]}")
    return {
        "repeats": repeats,
        "baseline_pass_s": _median(samples["baseline_pass"]),
        "import_median_s": _median(samples["import"]),
        "import_client_median_s": _median(samples["import_client"]),
        "samples_s": samples,
        "verified": {"all_imports_succeeded": not failures},
        "failures": failures,
    }


# -- T1 ------------------------------------------------------------------------------------------------------
def run_t1(lib: Any, workdir: Path, steps: int) -> Result:
    """One run: 50 x log_param, then 10 metrics x ``steps`` with one log_metric call per point."""
    experiment_id, setup_s = _setup_experiment(lib, workdir, "bench-t1")
    start_run_s, active = _timed(lib.start_run)
    run_id = active.info.run_id

    start = time.perf_counter()
    for index in range(T1_PARAMS):
        lib.log_param(f"param_{index:02d}", f"value-{index}")
    params_s = time.perf_counter() - start

    keys = [f"metric_{index}" for index in range(T1_METRICS)]
    start = time.perf_counter()
    for step in range(steps):
        for number, key in enumerate(keys):
            lib.log_metric(key, math.sin(step / 50 + number), step=step)
    metrics_s = time.perf_counter() - start
    end_run_s, _ = _timed(lib.end_run)  # includes any flush of client-side buffering

    calls = steps * T1_METRICS
    client = _client(lib)
    history_lengths = {key: len(client.get_metric_history(run_id, key)) for key in keys}
    last_steps = sorted(metric.step for metric in client.get_metric_history(run_id, keys[-1]))
    run = client.get_run(run_id)
    total_s = params_s + metrics_s + end_run_s
    return {
        "experiment_id": experiment_id,
        "steps": steps,
        "log_metric_calls": calls,
        "log_param_calls": T1_PARAMS,
        "setup_s": setup_s,
        "start_run_s": start_run_s,
        "log_params_s": params_s,
        "log_metrics_s": metrics_s,
        "end_run_s": end_run_s,
        "total_s": total_s,
        "log_param_us_per_call": params_s / T1_PARAMS * 1e6,
        "log_metric_us_per_call": metrics_s / calls * 1e6,
        "log_metric_us_per_call_incl_end_run": (metrics_s + end_run_s) / calls * 1e6,
        "points_per_s": calls / (metrics_s + end_run_s),
        "verified": {
            "every_metric_has_all_steps": all(length == steps for length in history_lengths.values()),
            "steps_complete": last_steps == list(range(steps)),
            "params_logged": len(run.data.params) == T1_PARAMS,
            "run_finished": run.info.status == "FINISHED",
        },
    }


# -- T2 ------------------------------------------------------------------------------------------------------
def t2_data(runs: int, seed: int = SEED) -> list[dict[str, dict[str, Any]]]:
    """The same seeded runs for both libraries: 5 params, 3 metrics, 2 tags each."""
    rng = random.Random(seed)
    data: list[dict[str, dict[str, Any]]] = []
    for index in range(runs):
        data.append(
            {
                "params": {
                    "model": rng.choice(T2_MODELS),
                    "lr": rng.choice([0.001, 0.01, 0.1]),
                    "depth": rng.randint(2, 12),
                    "n_estimators": rng.choice([50, 100, 200, 500]),
                    "seed": index,
                },
                "metrics": {"rmse": rng.random(), "mae": rng.random(), "r2": rng.random()},
                "tags": {"team": rng.choice(["vision", "nlp", "tabular"]), "purpose": "benchmark"},
            }
        )
    return data


def _t2_expected(data: list[dict[str, dict[str, Any]]]) -> list[float]:
    """rmse of the runs the search must return, in order."""
    matches = [
        float(run["metrics"]["rmse"])
        for run in data
        if run["metrics"]["rmse"] < 0.5 and run["params"]["model"] == "rf"
    ]
    return sorted(matches)


def run_t2(lib: Any, workdir: Path, runs: int, repeats: int) -> Result:
    """``runs`` runs via the fluent API, then a filtered, ordered search via MlflowClient().search_runs."""
    data = t2_data(runs)
    expected = _t2_expected(data)
    experiment_id, setup_s = _setup_experiment(lib, workdir, "bench-t2")

    per_run: list[float] = []
    start = time.perf_counter()
    for run in data:
        begin = time.perf_counter()
        lib.start_run()
        lib.log_params(run["params"])
        lib.log_metrics(run["metrics"])
        lib.set_tags(run["tags"])
        lib.end_run()
        per_run.append(time.perf_counter() - begin)
    create_s = time.perf_counter() - start

    client = _client(lib)
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
        "experiment_id": experiment_id,
        "runs": runs,
        "setup_s": setup_s,
        "create_s": create_s,
        "create_ms_per_run": create_s / runs * 1e3,
        "create_ms_per_run_median": _median(per_run) * 1e3,
        "runs_per_s": runs / create_s,
        "search_repeats": repeats,
        "search_first_ms": search_s[0] * 1e3,
        "search_median_ms": _median(search_s) * 1e3,
        "search_samples_ms": [value * 1e3 for value in search_s],
        "search_matching_runs": len(expected),
        "search_returned": len(found),
        "verified": {
            "all_runs_created": len(all_runs) == runs,
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
def run_t3(lib: Any, workdir: Path, points: int, repeats: int) -> Result:
    """One metric of ``points`` steps via log_batch (chunks of 1,000), then get_metric_history."""
    experiment_id, setup_s = _setup_experiment(lib, workdir, "bench-t3")
    client = _client(lib)
    run_id = client.create_run(experiment_id).info.run_id
    metric = _metric_class(lib)
    base = int(time.time() * 1000)
    chunks = [
        [
            metric(T3_KEY, math.sin(step / 100), base + step, step)
            for step in range(first, min(first + T3_CHUNK, points))
        ]
        for first in range(0, points, T3_CHUNK)
    ]

    batch_s: list[float] = []
    for chunk in chunks:
        start = time.perf_counter()
        client.log_batch(run_id, metrics=chunk)
        batch_s.append(time.perf_counter() - start)
    client.set_terminated(run_id)
    ingest_s = sum(batch_s)

    history_s: list[float] = []
    history: list[Any] = []
    for _ in range(repeats):
        elapsed, history = _timed(lambda: client.get_metric_history(run_id, T3_KEY))
        history_s.append(elapsed)
    steps = sorted(point.step for point in history)
    return {
        "experiment_id": experiment_id,
        "points": points,
        "batches": len(chunks),
        "setup_s": setup_s,
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


# -- main ----------------------------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> Result:
    result: Result = {
        "library": args.library,
        "workload": args.workload,
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "platform": platform.platform(),
        "loadavg_start": list(os.getloadavg()),
    }
    if args.workload == "import":
        result.update(run_import(args.library, args.repeats))
    else:
        with _workdir(args.keep) as workdir:
            result["workdir"] = str(workdir)
            _isolate_environment(workdir)
            import_s, lib = _timed(lambda: _load(args.library))
            result["version"] = str(getattr(lib, "__version__", "?"))
            result["import_in_process_s"] = import_s
            if args.workload == "t1":
                result.update(run_t1(lib, workdir, args.t1_steps))
            elif args.workload == "t2":
                result.update(run_t2(lib, workdir, args.t2_runs, args.repeats))
            else:
                result.update(run_t3(lib, workdir, args.t3_points, args.repeats))
            # after the timings: with MLflow, the first client creates the schema
            result["client_follows_set_tracking_uri"] = client_follows_set_tracking_uri(lib)
    if "version" not in result:
        result["version"] = _version_of(args.library)
    result["loadavg_end"] = list(os.getloadavg())
    result["peak_rss_mib"] = _peak_rss_mib()
    result["ok"] = all(result["verified"].values())
    return result


def _version_of(library: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(library)
    except metadata.PackageNotFoundError:
        return "?"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("library", choices=LIBRARIES)
    parser.add_argument("workload", choices=WORKLOADS)
    parser.add_argument("--t1-steps", type=int, default=1_000, help="steps per metric in T1 (10 metrics)")
    parser.add_argument("--t2-runs", type=int, default=1_000, help="runs created in T2")
    parser.add_argument("--t3-points", type=int, default=100_000, help="points of the one T3 metric")
    parser.add_argument(
        "--repeats", type=int, default=5, help="repetitions of searches / history reads / imports"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary directory (printed in the JSON)"
    )
    args = parser.parse_args(argv)
    for name in ("t1_steps", "t2_runs", "t3_points", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    result = run(parse_args(argv))
    print(json.dumps(result), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
