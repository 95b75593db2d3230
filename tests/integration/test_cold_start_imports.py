"""A new user's first flow stays cheap to start: what a one-task flow in a fresh process must not import.

Each module kept out here cost tens of milliseconds of the half-second cold-start budget (O0 in
bench/orchestration.py): Alembic (a new SQLite database gets its schema from one script) and pydantic
(settings are read with the standard library).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ONE_TASK_FLOW = """
    import sys
    import flowtrack

    @flowtrack.task
    def one() -> int:
        return 1

    @flowtrack.flow
    def cold() -> int:
        return one()

    assert cold() == 1
    print(" ".join(sorted({name.split(".")[0] for name in sys.modules})))
"""
NOT_NEEDED = frozenset({"alembic", "mako", "pydantic"})


def loaded_by_a_one_task_flow(home: Path) -> set[str]:
    env = {**os.environ, "FLOWTRACK_HOME": str(home)}
    for name in ("FLOWTRACK_TRACKING_URI", "MLFLOW_TRACKING_URI", "FLOWTRACK_API_URL"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(ONE_TASK_FLOW)],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


def test_a_first_flow_in_a_new_home_skips_the_heavy_modules(tmp_path: Path) -> None:
    loaded = loaded_by_a_one_task_flow(tmp_path)
    assert (tmp_path / "flowtrack.db").is_file()
    assert {"flowtrack", "sqlalchemy"} <= loaded  # the flow ran on the embedded store
    assert loaded.isdisjoint(NOT_NEEDED)


def test_a_second_flow_in_the_same_home_skips_them_too(tmp_path: Path) -> None:
    loaded_by_a_one_task_flow(tmp_path)
    assert loaded_by_a_one_task_flow(tmp_path).isdisjoint(NOT_NEEDED)
