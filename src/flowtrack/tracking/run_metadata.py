"""Facts about the process that starts a run: who, what script, which commit, which environment.

Gathered once per process and cached, because git and package scans cost milliseconds and a script may start
thousands of runs.
"""

from __future__ import annotations

import functools
import getpass
import os
import platform
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from flowtrack.tracking import system_tags

_GIT_TIMEOUT_SECONDS = 5


@dataclass(frozen=True, slots=True)
class GitState:
    commit: str
    branch: str | None
    remote_url: str | None
    root: Path
    diff: str


@dataclass(frozen=True, slots=True)
class ProcessMetadata:
    user: str
    source_name: str
    source_type: str
    entry_point: Path | None
    git: GitState | None
    tags: dict[str, str] = field(default_factory=dict)


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "unknown")


def _entry_point() -> Path | None:
    main = sys.modules.get("__main__")
    main_file = getattr(main, "__file__", None)
    if not main_file:
        return None
    path = Path(main_file).resolve()
    # A console script (such as the `flowtrack` command) is a launcher, not the user's source.
    return path if path.is_file() and path.suffix == ".py" else None


def _source_type() -> str:
    if "ipykernel" in sys.modules:
        return "NOTEBOOK"
    return "LOCAL"


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=_GIT_TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def read_git_state(start: Path) -> GitState | None:
    """The repository holding ``start``, or None when it is not in a git work tree (or git is missing)."""
    root = _git(["rev-parse", "--show-toplevel"], start)
    if root is None:
        return None
    root_path = Path(root)
    commit = _git(["rev-parse", "HEAD"], root_path)
    if commit is None:
        return None
    branch = _git(["rev-parse", "--abbrev-ref", "HEAD"], root_path)
    remote = _git(["config", "--get", "remote.origin.url"], root_path)
    diff = _git(["diff", "HEAD"], root_path) or ""
    return GitState(
        commit=commit,
        branch=None if branch in (None, "HEAD") else branch,
        remote_url=remote or None,
        root=root_path,
        diff=diff,
    )


@functools.cache
def process_metadata() -> ProcessMetadata:
    entry = _entry_point()
    git = read_git_state(entry.parent if entry else Path.cwd())
    source_name = str(entry) if entry else (sys.argv[0] if sys.argv and sys.argv[0] else "<interactive>")
    metadata = ProcessMetadata(
        user=current_user(),
        source_name=source_name,
        source_type=_source_type(),
        entry_point=entry,
        git=git,
    )
    metadata.tags.update(_tags(metadata))
    return metadata


def _tags(metadata: ProcessMetadata) -> dict[str, str]:
    tags = {
        system_tags.USER: metadata.user,
        system_tags.SOURCE_NAME: metadata.source_name,
        system_tags.SOURCE_TYPE: metadata.source_type,
        system_tags.PYTHON_VERSION: platform.python_version(),
        system_tags.PLATFORM: platform.platform(terse=True),
        system_tags.HOSTNAME: socket.gethostname(),
    }
    git = metadata.git
    if git is not None:
        tags[system_tags.GIT_COMMIT] = git.commit
        tags[system_tags.GIT_DIRTY] = "true" if git.diff else "false"
        if git.branch:
            tags[system_tags.GIT_BRANCH] = git.branch
        if git.remote_url:
            tags[system_tags.GIT_REPO_URL] = git.remote_url
            tags[system_tags.GIT_REPO_URL_LEGACY] = git.remote_url
    if metadata.entry_point is not None:
        root = git.root if git else metadata.entry_point.parent
        tags[system_tags.ENTRY_POINT] = _relative(metadata.entry_point, root)
    return tags


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


@functools.cache
def installed_packages() -> str:
    """``name==version`` lines of every installed distribution, sorted: a pip-freeze without a subprocess."""
    from importlib import metadata

    lines = {f"{dist.metadata['Name']}=={dist.version}" for dist in metadata.distributions() if dist.metadata}
    return "\n".join(sorted(lines, key=str.lower)) + "\n"
