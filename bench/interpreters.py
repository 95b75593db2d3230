"""Which Python runs MLflow for the side-by-side benchmarks, and checks that it can."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO_MLFLOW_PYTHON = Path(__file__).resolve().parents[1] / ".venvs" / "mlflow" / "bin" / "python"
ANCHOR_MLFLOW_PYTHON = Path.home() / ".cache" / "flowtrack-anchors" / "mlflow-venv" / "bin" / "python"
MLFLOW_HOWTO = "scripts/mlflow-venv (or ../shared/tools/anchor-venvs.sh mlflow); then pass --mlflow-python"


def default_mlflow_python() -> Path:
    return ANCHOR_MLFLOW_PYTHON if ANCHOR_MLFLOW_PYTHON.exists() else REPO_MLFLOW_PYTHON


def resolve_mlflow_python(given: str | None, disabled: bool = False) -> str | None:
    """The interpreter given, else $FLOWTRACK_MLFLOW_PYTHON, else a known virtualenv; None when disabled."""
    if disabled:
        return None
    candidate = given or os.environ.get("FLOWTRACK_MLFLOW_PYTHON")
    if candidate:
        if not Path(candidate).exists():
            raise SystemExit(f"MLflow interpreter {candidate} does not exist; create it with {MLFLOW_HOWTO}")
        return candidate
    default = default_mlflow_python()
    return str(default) if default.exists() else None


ANCHOR_PREFECT_PYTHON = Path.home() / ".cache" / "flowtrack-anchors" / "prefect-venv" / "bin" / "python"
PREFECT_HOWTO = "../shared/tools/anchor-venvs.sh prefect; then pass --prefect-python"


def resolve_prefect_python(given: str | None, disabled: bool = False) -> str | None:
    """The interpreter given, else $FLOWTRACK_PREFECT_PYTHON, else the anchor venv; None when disabled."""
    if disabled:
        return None
    candidate = given or os.environ.get("FLOWTRACK_PREFECT_PYTHON")
    if candidate:
        if not Path(candidate).exists():
            raise SystemExit(f"Prefect interpreter {candidate} is missing; create it with {PREFECT_HOWTO}")
        return candidate
    return str(ANCHOR_PREFECT_PYTHON) if ANCHOR_PREFECT_PYTHON.exists() else None


def check_interpreter(python: str, module: str) -> str:
    """The installed version of ``module`` under ``python``; exits with its error when it cannot import."""
    done = subprocess.run(
        [python, "-c", f"import {module}, importlib.metadata as m; print(m.version({module!r}))"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{python} cannot import {module}:\n{done.stderr.strip()[-2000:]}")
    return done.stdout.strip()
