"""The command tree: --help and --version in a real process, cheap imports, help text on every command."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import typer.main
from typer.testing import CliRunner

import flowtrack
from flowtrack.cli.main import app

HEAVY_MODULES = (
    "sqlalchemy",
    "alembic",
    "pandas",
    "numpy",
    "sklearn",
    "matplotlib",
    "httpx",
)


def _command_paths() -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []

    def walk(command: object, path: tuple[str, ...]) -> None:
        children = getattr(command, "commands", None)
        if children is None:
            paths.append(path)
            return
        for name, child in children.items():
            walk(child, (*path, name))

    walk(typer.main.get_command(app), ())
    return paths


COMMANDS = _command_paths()


def test_python_m_flowtrack_help_lists_every_group() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flowtrack", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    for group in ("quickstart", "config", "db", "experiments", "runs"):
        assert group in done.stdout


def test_version_in_a_real_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flowtrack", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"flowtrack {flowtrack.__version__}"


def test_no_arguments_shows_help() -> None:
    result = CliRunner().invoke(app, [])
    assert "Usage" in result.output
    assert "experiments" in result.output


def test_help_imports_no_database_or_data_library() -> None:
    """`flowtrack --help` stays fast because nothing heavy is imported to render it."""
    probe = textwrap.dedent(
        f"""
        import runpy, sys
        for args in (["--help"], ["runs", "list", "--help"], ["experiments", "--help"], ["config", "--help"]):
            sys.argv = ["flowtrack", *args]
            try:
                runpy.run_module("flowtrack", run_name="__main__")
            except SystemExit:
                pass
        print("LOADED", [name for name in {HEAVY_MODULES!r} if name in sys.modules])
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert "LOADED []" in done.stdout, done.stdout + done.stderr


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(path) for path in COMMANDS])
def test_every_command_explains_itself_with_an_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    command = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    assert command.help, f"`flowtrack {' '.join(path)}` has no help text"
    assert "flowtrack " in (command.epilog or ""), f"`flowtrack {' '.join(path)} --help` shows no example"


def test_expected_commands_exist() -> None:
    expected = {
        ("quickstart",),
        ("config", "set"),
        ("config", "get"),
        ("config", "unset"),
        ("config", "view"),
        ("db", "upgrade"),
        ("experiments", "create"),
        ("experiments", "list"),
        ("experiments", "rename"),
        ("experiments", "delete"),
        ("experiments", "restore"),
        ("runs", "list"),
        ("runs", "describe"),
        ("runs", "delete"),
        ("runs", "restore"),
    }
    assert expected <= set(COMMANDS)


def test_unknown_command_suggests_the_right_one() -> None:
    result = CliRunner().invoke(app, ["experiment", "list"])
    assert result.exit_code == 2
    assert "experiments" in result.output
