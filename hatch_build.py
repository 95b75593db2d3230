"""Hatch build hook: builds the web UI (``ui/``) into ``src/flowtrack/server/ui_dist/`` for every build.

Editable installs serve the files from the source tree; wheels and sdists carry them (they are git-ignored,
so they are added as artifacts), and whoever installs a wheel needs no Node.js. The hook skips the work
that is already done: ``npm ci`` when ``node_modules`` matches ``package-lock.json``, the build when the
output is newer than every source file. ``FLOWTRACK_SKIP_UI_BUILD=1`` skips it entirely.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

DIST = "src/flowtrack/server/ui_dist"


class UiBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        ui = root / "ui"
        dist = root / DIST
        build_data.setdefault("artifacts", []).append(f"/{DIST}")
        if os.environ.get("FLOWTRACK_SKIP_UI_BUILD") == "1" or not (ui / "package.json").is_file():
            return  # an sdist without ui/ sources ships ui_dist already built
        if _up_to_date(ui, dist):
            return
        npm = shutil.which("npm")
        if npm is None:
            if (dist / "index.html").is_file():
                self.app.display_warning("npm not found: using the web UI already built in " + DIST)
                return
            raise RuntimeError(
                "Building flowtrack's web UI needs Node.js 20+ and npm on the PATH (https://nodejs.org). "
                "Install them and retry, or set FLOWTRACK_SKIP_UI_BUILD=1 to install without the web UI."
            )
        started = time.monotonic()
        if not _installed(ui):
            _run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], ui)
        _run([npm, "run", "build", "--silent"], ui)
        self.app.display_info(f"built the web UI in {time.monotonic() - started:.1f} s")


def _installed(ui: Path) -> bool:
    """``node_modules`` exists and was installed from the current lock file (npm writes this copy)."""
    lock = ui / "package-lock.json"
    hidden = ui / "node_modules" / ".package-lock.json"
    return hidden.is_file() and hidden.stat().st_mtime >= lock.stat().st_mtime


def _up_to_date(ui: Path, dist: Path) -> bool:
    index = dist / "index.html"
    if not index.is_file():
        return False
    names = ("index.html", "package.json", "package-lock.json", "tsconfig.json", "vite.config.ts")
    sources = [*(ui / name for name in names), *(ui / "src").rglob("*")]
    newest = max(path.stat().st_mtime for path in sources if path.is_file())
    return index.stat().st_mtime >= newest


def _run(command: list[str], cwd: Path) -> None:
    try:
        subprocess.run(command, cwd=cwd, check=True)
    except subprocess.CalledProcessError as exc:
        failed = " ".join(command)
        raise RuntimeError(f"building the web UI failed: {failed} exited with {exc.returncode}") from exc
