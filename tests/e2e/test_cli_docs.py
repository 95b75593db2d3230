"""Every ```console block in docs/*.md runs: its `$ ` commands in order, in one shell per command, sharing a
fresh FLOWTRACK_HOME and working directory per block. Each must exit 0, and every output line the document
shows under a command must appear in that command's output (compared with runs of whitespace collapsed).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_BLOCK = re.compile(r"^```console\n(.*?)^```", re.DOTALL | re.MULTILINE)


@dataclass
class Step:
    command: str
    expected: list[str] = field(default_factory=list)


def _steps(block: str) -> list[Step]:
    steps: list[Step] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            steps.append(Step(line[2:]))
        elif line.strip() and steps:
            steps[-1].expected.append(line)
    return steps


def _blocks() -> list[tuple[str, list[Step]]]:
    found = []
    for document in sorted((ROOT / "docs").glob("*.md")):
        for index, match in enumerate(_BLOCK.finditer(document.read_text())):
            found.append((f"{document.relative_to(ROOT)}#{index}", _steps(match.group(1))))
    return found


def _squash(text: str) -> str:
    return " ".join(text.split())


BLOCKS = _blocks()


@pytest.mark.parametrize(("name", "steps"), BLOCKS, ids=[name for name, _ in BLOCKS])
def test_console_example_runs(name: str, steps: list[Step], tmp_path: Path) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env["COLUMNS"] = "200"
    for step in steps:
        done = subprocess.run(
            step.command,
            shell=True,
            executable="/bin/bash",
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, f"{name}: `{step.command}` failed:\n{done.stdout}\n{done.stderr}"
        output = _squash(done.stdout + done.stderr)
        for line in step.expected:
            assert _squash(line) in output, f"{name}: `{step.command}` did not print {line!r}:\n{done.stdout}"


def test_cli_doc_has_examples() -> None:
    assert len([name for name, _ in BLOCKS if name.startswith("docs/cli.md")]) >= 6
