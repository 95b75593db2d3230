"""``flowtrack quickstart`` runs ``examples/quickstart.py``: the command does what the example teaches.

Wheels carry the example inside the package (``flowtrack/_examples``); an editable install finds it in the
source tree.
"""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import TYPE_CHECKING

from flowtrack.exceptions import FlowtrackError

if TYPE_CHECKING:
    from flowtrack.tracking.entities import Run

_PACKAGE_ROOT = Path(__file__).resolve().parents[1]
_CANDIDATES = (
    _PACKAGE_ROOT / "_examples" / "quickstart.py",
    _PACKAGE_ROOT.parents[1] / "examples" / "quickstart.py",
)


def example_path() -> Path:
    for candidate in _CANDIDATES:
        if candidate.is_file():
            return candidate
    raise FlowtrackError("the quickstart example is missing from this installation; reinstall flowtrack")


def run(experiment_name: str, tracking_uri: str | None) -> list[Run]:
    """Run the example's ``run``; returns the models' runs, best first."""
    script = example_path()
    example = runpy.run_path(str(script), run_name="flowtrack_quickstart")
    runs: list[Run] = example["run"](experiment_name, tracking_uri)
    return runs
