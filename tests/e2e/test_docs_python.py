"""Every ```python block in README.md and docs/*.md runs, in its own process and its own FLOWTRACK_HOME."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def _blocks() -> list[tuple[str, str]]:
    found = []
    for document in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for index, match in enumerate(_BLOCK.finditer(document.read_text())):
            found.append((f"{document.relative_to(ROOT)}#{index}", match.group(1)))
    return found


@pytest.mark.parametrize(("name", "source"), _blocks(), ids=[name for name, _ in _blocks()])
def test_python_example_runs(name: str, source: str, tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(source)
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"{name} failed:\n{done.stderr}"


def test_docs_have_examples() -> None:
    assert len(_blocks()) >= 8
