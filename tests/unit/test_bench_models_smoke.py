"""bench/models.py still runs: flowtrack's workload at tiny sizes, and the driver's table.

Timings are not checked (benchmarks are not tests); the keys the table reads and the verification flags are.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "models.py"


def test_models_bench_runs_and_verifies(tmp_path: Path) -> None:
    out = tmp_path / "models.json"
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--no-mlflow", "--out", str(out)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(out.read_text())["flowtrack"]
    assert result["verified"] == {"predictions_equal": True, "versions_registered": True, "alias_loads": True}
    assert (result["repeats"], result["versions"]) == (2, 5)
    for key in ("log_model_ms", "load_predict_ms", "register_ms_per_version"):
        assert result[key] > 0
    assert "register_model (ms per version)" in done.stdout
    assert "CHECK FAILED" not in done.stdout
