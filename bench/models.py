"""Models benchmark: flowtrack vs MLflow, same workloads, same invocation, ratios printed.

    .venv/bin/python bench/models.py                 # full sizes, flowtrack + MLflow (about a minute)
    .venv/bin/python bench/models.py --quick         # small sizes, to check the harness
    .venv/bin/python bench/models.py --no-mlflow     # flowtrack only

Workloads (embedded SQLite, a fresh temporary directory and interpreter per library, default settings):

- ``roundtrip``: ``sklearn.log_model(model, name="model", input_example=...)`` inside a run, then
  ``pyfunc.load_model(info.model_uri).predict(X)`` (verified equal to the model's own predictions); medians of
  ``--repeats`` rounds. Each library saves in its default format (flowtrack cloudpickle, MLflow skops).
- ``register``: ``register_model(model_uri, name)`` ``--versions`` times for one logged model (verified:
  that many versions, the last one loads by alias).

The same file is the workload: ``python bench/models.py --workload flowtrack|mlflow ...`` imports only the
standard library at the top and then the library it names, as ``import flowtrack as mlflow`` would.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from interpreters import MLFLOW_HOWTO, check_interpreter, resolve_mlflow_python

GOAL = 5.0  # issue 4: at least 5x faster than MLflow
JOB_TIMEOUT_S = 1_800
MEASURES = [
    ("log_model_ms", "log_model (median ms)"),
    ("load_predict_ms", "load_model + predict (median ms)"),
    ("register_ms_per_version", "register_model (ms per version)"),
]


# -- workload (runs under either library's interpreter) ------------------------------------------------------
def workload(library: str, repeats: int, versions: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"bench-models-{library}-") as tmp:
        os.chdir(tmp)
        os.environ.update(
            {
                "FLOWTRACK_HOME": tmp,
                "MLFLOW_DISABLE_TELEMETRY": "true",
                "MLFLOW_ALLOW_PICKLE_DESERIALIZATION": "true",
                "GIT_PYTHON_REFRESH": "quiet",
            }
        )
        lib = importlib.import_module(library)
        importlib.import_module(f"{library}.sklearn")
        importlib.import_module(f"{library}.pyfunc")
        from sklearn.datasets import load_iris
        from sklearn.linear_model import LogisticRegression

        features, target = load_iris(return_X_y=True, as_frame=True)
        model = LogisticRegression(max_iter=500).fit(features, target)
        expected = model.predict(features).tolist()
        lib.set_tracking_uri(f"sqlite:///{tmp}/bench.db")
        lib.create_experiment("models", artifact_location=f"file://{tmp}/artifacts")
        lib.set_experiment("models")
        log_s, load_s, same = [], [], True
        uri = ""
        for _ in range(repeats):
            with lib.start_run():
                start = time.perf_counter()
                info = lib.sklearn.log_model(model, name="model", input_example=features.head(3))
                log_s.append(time.perf_counter() - start)
            start = time.perf_counter()
            predictions = lib.pyfunc.load_model(info.model_uri).predict(features)
            load_s.append(time.perf_counter() - start)
            same = same and list(predictions) == expected
            uri = info.model_uri
        start = time.perf_counter()
        for _ in range(versions):
            lib.register_model(uri, "bench-model")
        register_s = time.perf_counter() - start
        client = lib.MlflowClient(tracking_uri=lib.get_tracking_uri())
        found = client.search_model_versions("name = 'bench-model'", max_results=versions + 10)
        client.set_registered_model_alias("bench-model", "production", str(versions))
        by_alias = lib.pyfunc.load_model("models:/bench-model@production").predict(features)
        verified = {
            "predictions_equal": same,
            "versions_registered": len(found) == versions,
            "alias_loads": list(by_alias) == expected,
        }
        return {
            "library": library, "version": getattr(lib, "__version__", "?"), "repeats": repeats,
            "versions": versions, "log_model_ms": statistics.median(log_s) * 1000,
            "load_predict_ms": statistics.median(load_s) * 1000,
            "register_ms_per_version": register_s * 1000 / versions, "verified": verified,
            "ok": all(verified.values()), "loadavg": list(os.getloadavg()),
        }  # fmt: skip


# -- driver --------------------------------------------------------------------------------------------------
def run_job(python: str, library: str, repeats: int, versions: int) -> dict[str, Any]:
    command = [
        python,
        __file__,
        "--workload",
        library,
        "--repeats",
        str(repeats),
        "--versions",
        str(versions),
    ]
    print(f"  running {library} ...", file=sys.stderr, flush=True)
    done = subprocess.run(command, capture_output=True, text=True, timeout=JOB_TIMEOUT_S, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip()[-3000:]
        print(f"  FAILED {library} (exit {done.returncode}):\n{tail}", file=sys.stderr, flush=True)
        return {"library": library, "ok": False, "error": tail}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def table(flowtrack: dict[str, Any], mlflow: dict[str, Any] | None) -> str:
    rows = [f"{'measure':<36}{'flowtrack':>12}{'MLflow':>12}{'x faster':>10}  goal"]
    for key, label in MEASURES:
        ours = flowtrack.get(key)
        theirs = mlflow.get(key) if mlflow else None
        ratio = theirs / ours if ours and theirs else None
        verdict = "" if ratio is None else ("meets" if ratio >= GOAL else "below")
        rows.append(
            f"{label:<36}{_cell(ours):>12}{_cell(theirs):>12}{_cell(ratio, 1):>10}  {GOAL:.0f}x {verdict}"
        )
    for result in (flowtrack, mlflow):
        if result is not None and not result.get("ok"):
            rows.append(f"CHECK FAILED {result['library']}: {result.get('verified') or result.get('error')}")
    return "\n".join(rows)


def _cell(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="log/load/register models: flowtrack vs MLflow")
    parser.add_argument("--workload", choices=["flowtrack", "mlflow"], help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=10, help="log/load rounds (median kept)")
    parser.add_argument("--versions", type=int, default=100, help="versions to register")
    parser.add_argument("--quick", action="store_true", help="2 rounds, 5 versions: checks the harness only")
    parser.add_argument(
        "--mlflow-python", help="interpreter with mlflow (default: found as bench/README says)"
    )
    parser.add_argument("--no-mlflow", action="store_true", help="run flowtrack only")
    parser.add_argument("--out", help="write both results as JSON here")
    args = parser.parse_args(argv)
    repeats, versions = (2, 5) if args.quick else (args.repeats, args.versions)
    if args.workload:
        print(json.dumps(workload(args.workload, repeats, versions)))
        return 0
    mlflow_python = resolve_mlflow_python(args.mlflow_python, args.no_mlflow)
    flowtrack = run_job(sys.executable, "flowtrack", repeats, versions)
    mlflow = None
    if mlflow_python is not None:
        check_interpreter(mlflow_python, "mlflow")
        mlflow = run_job(mlflow_python, "mlflow", repeats, versions)
    elif not args.no_mlflow:
        print(f"MLflow not found; to compare, create its venv: {MLFLOW_HOWTO}", file=sys.stderr)
    print(table(flowtrack, mlflow))
    if args.out:
        Path(args.out).write_text(json.dumps({"flowtrack": flowtrack, "mlflow": mlflow}, indent=2))
    return 0 if flowtrack.get("ok") and (mlflow is None or mlflow.get("ok")) else 1


if __name__ == "__main__":
    sys.exit(main())
