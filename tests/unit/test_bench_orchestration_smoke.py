"""The orchestration benchmark still runs: each workload for flowtrack at tiny sizes, and the driver's table.

Timings are not checked (benchmarks are not tests); the keys the driver reads and the verification flags are.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
SIZES = {"O0": [], "O1": ["--n", "30"], "O2": ["--n", "30"], "O3": ["--n", "5"], "O6": ["--n", "300"]}
EXPECTED_KEYS = {
    "O0": {"flow_end_epoch_s"},
    "O1": {"overhead_ms_per_task", "flow_call_ms_per_task", "task_runs_stored_at_return", "plain_loop_s"},
    "O2": {"submit_s", "all_done_s", "flow_call_s", "task_runs_stored_at_return"},
    "O3": {"ms_per_subflow", "flow_call_s"},
    "O6": {"flow_call_s", "peak_rss_mib", "task_runs_stored_at_return"},
}


def _load_driver() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_orchestration", BENCH / "orchestration.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    if str(BENCH) not in sys.path:  # as when the script runs: its folder is importable
        sys.path.insert(0, str(BENCH))
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def results() -> dict[str, dict[str, Any]]:
    driver = _load_driver()
    return {
        workload: driver.run_job(sys.executable, "flowtrack", workload, int(options[1]) if options else None)
        for workload, options in SIZES.items()
    }


@pytest.mark.parametrize("workload", sorted(SIZES))
def test_workload_reports_its_figures_and_passes_its_checks(
    results: dict[str, dict[str, Any]], workload: str
) -> None:
    result = results[workload]
    assert result.get("ok") is True, result
    assert EXPECTED_KEYS[workload] <= result.keys()
    assert result["verified"], "a workload must verify something"
    assert all(result["verified"].values())


def test_every_task_run_was_stored_at_return(results: dict[str, dict[str, Any]]) -> None:
    assert results["O1"]["task_runs_stored_at_return"] == 30
    assert results["O2"]["task_runs_stored_at_return"] == 30
    assert results["O6"]["task_runs_stored_at_return"] == 300
    assert results["O0"]["spawn_to_flow_end_s"] > 0


def test_driver_builds_a_flowtrack_only_table(
    results: dict[str, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    driver = _load_driver()
    rows = driver.build_rows(list(results.values()))
    assert {row.workload for row in rows} == {"O0", "O1", "O2", "O3", "O6"}
    assert all(row.prefect is None and row.ratio is None for row in rows)
    driver.print_table(rows, list(results.values()))
    out = capsys.readouterr().out
    assert "per subflow" in out
    assert "FAILED" not in out


def test_driver_computes_ratios_from_one_invocation() -> None:
    driver = _load_driver()
    results = [
        {"library": "flowtrack", "workload": "O3", "ok": True, "ms_per_subflow": 2.0, "n": 100},
        {"library": "prefect", "workload": "O3", "ok": True, "ms_per_subflow": 1300.0, "n": 20},
    ]
    (row,) = driver.build_rows(results)
    assert row.ratio == 650.0
    assert row.note == "n=100, prefect n=20"
    assert json.dumps(results)


def test_o0_in_an_existing_home_reuses_its_database() -> None:
    driver = _load_driver()
    result = driver._o0_existing_home(sys.executable, "flowtrack", 1)
    assert result["workload"] == "O0-warm"
    assert result["ok"] is True
    assert result["spawn_to_flow_end_s"] > 0
