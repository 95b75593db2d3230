"""The server benchmark still runs: bench/server.py against flowtrack's server only, at tiny sizes.

Timings are not checked (benchmarks are not tests); the JSON keys the report is built from, the verification
flags, and that no server process outlives the driver are.
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
TINY = [
    "--quick",
    "--no-mlflow",
    "--client",
    "flowtrack",
    "--t1-steps",
    "3",
    "--t1-batch-steps",
    "100",
    "--t2-runs",
    "12",
    "--mlflow-t2-runs",
    "6",
    "--t3-points",
    "1500",
    "--repeats",
    "2",
    "--ingest-workers",
    "3",
    "--ingest-batches",
    "2",
    "--cold-starts",
    "1",
    "--idle-wait",
    "0.5",
]
EXPECTED_KEYS = {
    "cold_start": {"median_s", "samples_s"},
    "memory_idle": {"rss_mib", "pss_mib", "processes", "tree"},
    "memory_after_t2": {"rss_mib", "pss_mib", "processes"},
    "memory_peak": {"peak_rss_mib"},
    "t1": {"log_metric_us_per_call_incl_end_run", "batch_total_s", "batch_median_ms", "batch_points"},
    "t2": {"create_ms_per_run", "search_median_ms", "search_first_ms", "search_returned"},
    "t3": {"ingest_s", "history_median_ms", "history_first_ms", "history_points"},
    "ingest": {"points_per_s", "points", "points_counted", "elapsed_s", "batch_median_ms"},
}


def _load_driver() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_server", BENCH / "server.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    if str(BENCH) not in sys.path:  # as when the script runs: its folder is importable
        sys.path.insert(0, str(BENCH))
    sys.modules[spec.name] = module  # dataclasses look their module up while the class body runs
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench-server") / "server.json"
    done = subprocess.run(
        [sys.executable, str(BENCH / "server.py"), *TINY, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.exists(), f"no report\nstdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}"
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def test_report_has_every_workload_with_its_keys(report: dict[str, Any]) -> None:
    assert report["error"] == ""
    assert report["client"] == "flowtrack"
    assert [server["name"] for server in report["servers"]] == ["flowtrack"]
    by_workload: dict[str, list[dict[str, Any]]] = {}
    for result in report["results"]:
        assert result["server"] == "flowtrack"
        by_workload.setdefault(result["workload"], []).append(result)
    assert set(EXPECTED_KEYS) <= by_workload.keys()
    for workload, keys in EXPECTED_KEYS.items():
        for result in by_workload[workload]:
            assert keys <= result.keys(), (workload, keys - result.keys())


def test_every_verification_flag_passed(report: dict[str, Any]) -> None:
    for result in report["results"]:
        assert result["ok"] is True, result
        flags = {name: good for name, good in result["verified"].items() if name != "pss_readable"}
        assert all(flags.values()), (result["workload"], flags)
    verified = [result for result in report["results"] if result["workload"] in {"t1", "t2", "t3", "ingest"}]
    assert all(result["verified"] for result in verified), "client workloads must verify something"


def test_workloads_ran_at_the_requested_sizes(report: dict[str, Any]) -> None:
    by_client: dict[str, list[dict[str, Any]]] = {}
    for result in report["results"]:
        if "client" in result:
            by_client.setdefault(result["client"], []).append(result)
    assert set(by_client) == {"flowtrack", "wire"}  # the chosen client, and bench/wire for the server alone
    for client, results in by_client.items():
        t2_sizes = sorted(result["runs"] for result in results if result["workload"] == "t2")
        assert t2_sizes == [6, 12], client  # MLflow's size (for equal-size ratios) and flowtrack's
        (t1,) = [result for result in results if result["workload"] == "t1"]
        assert t1["log_metric_calls"] == 30
        assert t1["batch_points"] == 1000
        (t3,) = [result for result in results if result["workload"] == "t3"]
        assert t3["history_points"] == 1500
        (ingest,) = [result for result in results if result["workload"] == "ingest"]
        assert ingest["workers"] == 3
        assert ingest["points"] == ingest["points_counted"] == 3 * 2 * 1000


def test_no_server_process_survives(report: dict[str, Any]) -> None:
    (idle,) = [result for result in report["results"] if result["workload"] == "memory_idle"]
    for process in idle["tree"]:
        assert not Path(f"/proc/{process['pid']}").exists() or _is_other(process["pid"], process["command"])


def _is_other(pid: int, command: str) -> bool:
    """A recycled pid belongs to another program."""
    try:
        now = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:160]
    except OSError:
        return True
    return now != command


def test_report_rows_are_rebuilt_and_judged(
    report: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    driver = _load_driver()
    rows = driver.render(report)
    measured = {row.workload for row in rows if row.flowtrack is not None}
    assert measured == {"cold", "memory", "T1", "T2", "T3", "ingest"}
    assert not [row for row in rows if row.checks]
    assert all(row.mlflow is None and row.ratio is None for row in rows)
    out = capsys.readouterr().out
    assert "get_metric_history" in out
    assert "The servers alone" in out  # bench/wire's table
    assert any(row.workload == "T3" and "history" in row.measure for row in rows[-8:])


def test_driver_judges_goals() -> None:
    driver = _load_driver()
    row = driver.Row("T3", "history", 12.0, 400.0, "ms", ratio=33.3, goal_ratio=10.0)
    assert driver.judge(row) == "met"
    row.ratio = 8.0
    assert driver.judge(row) == "MISSED"
    cold = driver.Row("cold", "start", 1.2, None, "s", goal_max=2.0)
    assert driver.judge(cold) == "met"
    cold.flowtrack = 2.5
    assert driver.judge(cold) == "MISSED"
    row.checks = ["flowtrack t3: steps_complete"]
    assert driver.judge(row) == "CHECK FAILED"
