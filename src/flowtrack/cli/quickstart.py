"""``flowtrack quickstart`` runs ``examples/quickstart.py``: the command does what the example teaches.

Wheels carry the example inside the package (``flowtrack/_examples``); an editable install finds it in the
source tree.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from flowtrack.exceptions import FlowtrackError

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


def run(experiment_name: str, tracking_uri: str | None) -> None:
    arguments = ["--experiment", experiment_name]
    if tracking_uri:
        arguments += ["--tracking-uri", tracking_uri]
    script = example_path()
    saved_argv = sys.argv
    sys.argv = [str(script), *arguments]
    try:
        runpy.run_path(str(script), run_name="__main__")
    finally:
        sys.argv = saved_argv
