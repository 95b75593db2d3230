"""The tracking benchmark still runs: bench/workloads.py for flowtrack at tiny sizes, and the driver's table.

Timings are not checked (benchmarks are not tests); the keys the driver reads and the verification flags are.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
SIZES = {"t1": ["--t1-steps", "5"], "t2": ["--t2-runs", "10"], "t3": ["--t3-points", "2000"], "import": []}
EXPECTED_KEYS = {
    "import": {"import_median_s", "import_client_median_s", "baseline_pass_s"},
    "t1": {
        "total_s",
        "log_metric_us_per_call",
        "log_metric_us_per_call_incl_end_run",
        "log_param_us_per_call",
    },
    "t2": {"create_s", "create_ms_per_run", "search_first_ms", "search_median_ms", "search_returned"},
    "t3": {"ingest_s", "batch_median_ms", "history_first_ms", "history_median_ms", "history_points"},
}
COMMON_KEYS = {"library", "workload", "version", "verified", "ok", "loadavg_start", "loadavg_end"}


def _load_driver() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_tracking", BENCH / "tracking.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    if str(BENCH) not in sys.path:  # as when the script runs: its folder is importable
        sys.path.insert(0, str(BENCH))
    sys.modules[spec.name] = module  # dataclasses look their module up while the class body runs
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def results() -> dict[str, dict[str, Any]]:
    """Run every workload at once (separate interpreters, as the driver does), one JSON line each."""
    processes = {
        workload: subprocess.Popen(
            [sys.executable, str(BENCH / "workloads.py"), "flowtrack", workload, "--repeats", "2", *options],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for workload, options in SIZES.items()
    }
    parsed = {}
    for workload, process in processes.items():
        stdout, stderr = process.communicate(timeout=60)
        lines = [line for line in stdout.splitlines() if line.startswith("{")]
        assert len(lines) == 1, (
            f"{workload}: expected one JSON line\nstdout:\n{stdout}\nstderr:\n{stderr[-3000:]}"
        )
        parsed[workload] = json.loads(lines[0])
        assert process.returncode == 0, (
            f"{workload} exited {process.returncode}: {parsed[workload]['verified']}"
        )
    return parsed


@pytest.mark.parametrize("workload", sorted(SIZES))
def test_workload_reports_expected_keys_and_passes_its_checks(
    results: dict[str, dict[str, Any]], workload: str
) -> None:
    result = results[workload]
    assert COMMON_KEYS | EXPECTED_KEYS[workload] <= result.keys()
    assert result["library"] == "flowtrack"
    assert result["workload"] == workload
    assert result["verified"], "a workload must verify something"
    assert all(result["verified"].values()), result["verified"]
    assert result["ok"] is True


def test_workloads_ran_at_the_requested_sizes(results: dict[str, dict[str, Any]]) -> None:
    assert results["t1"]["log_metric_calls"] == 50
    assert results["t2"]["runs"] == 10
    assert results["t2"]["search_returned"] == results["t2"]["search_matching_runs"]
    assert results["t3"]["history_points"] == 2000
    assert results["t3"]["batches"] == 2


def test_driver_builds_a_table_from_flowtrack_only_results(
    results: dict[str, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    driver = _load_driver()
    sizes = driver.Sizes(
        t1_steps=5,
        mlflow_t1_steps=5,
        t2_runs=10,
        mlflow_t2_runs=10,
        t3_points=2000,
        mlflow_t3_points=2000,
        repeats=2,
    )
    rows = driver.build_rows(list(results.values()), sizes)
    measured = {row.workload for row in rows if row.flowtrack is not None}
    assert measured == {"import", "T1", "T2", "T3"}
    assert not [row for row in rows if row.checks]
    assert all(row.mlflow is None and row.ratio is None for row in rows)
    assert {row.verdict for row in rows if row.goal} <= {"met", "MISSED", "n/a (no MLflow)"}
    driver.print_plain(rows, "smoke")
    assert "get_metric_history" in capsys.readouterr().out


def test_driver_judges_goals() -> None:
    driver = _load_driver()
    row = driver.Row(
        "T3", "history", flowtrack=120.0, mlflow=4000.0, unit="ms", ratio=33.3, goal="<=150 ms, >=20x"
    )
    assert driver.judge(row) == "met"
    row.ratio = 12.0
    assert driver.judge(row) == "MISSED"
    row.checks = ["flowtrack t3: steps_complete"]
    assert driver.judge(row) == "CHECK FAILED"
